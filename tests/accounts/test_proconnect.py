"""ProConnect sign-in against a real OpenID Connect provider process (tests/oidc_provider.py):
PKCE, state, nonce, signatures, expiry, acr, userinfo as JWT or JSON, who is signed in, and
the end of the ProConnect session at sign-out."""

from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from accounts import proconnect as oidc_client
from accounts.emails import Method, email_verify, has_verified_email
from inventory import invitations
from inventory.models import Invitation, Membership
from tests.factories import OrganisationFactory

START, CALLBACK = "/accounts/proconnect/start/", "/accounts/proconnect/callback/"


def _start(client, next_url="/catalogue/"):
    response = client.get(START, {"next": next_url})
    assert response.status_code == 302
    return response["Location"]


def _callback(client, callback_url, **override):
    parts = urlsplit(callback_url)
    assert parts.path == CALLBACK
    return client.get(parts.path, {**dict(parse_qsl(parts.query)), **override})


def _sign_in(client, provider, email, **switches):
    return _callback(client, provider.choose_identity(_start(client), email, **switches))


def _signed_in_user(client):
    return client.session.get("_auth_user_id")


@pytest.fixture
def agent(staff):
    """The giver's staff, whose address was proved (it is the one ProConnect gives)."""
    staff.email = "agnes.durand@ehpad-tilleuls.fr"
    staff.save()
    email_verify(user=staff, method=Method.ADMIN)
    return staff


#
# Without configuration, nothing of it shows
#
def test_without_configuration_the_sign_in_page_has_no_proconnect(db):
    response = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 200
    assert "ProConnect" not in response.content.decode()
    assert Client().get(START).status_code == 404
    assert Client().get(CALLBACK, {"code": "x", "state": "y"}).status_code == 404


def test_configured_the_sign_in_page_offers_proconnect_beside_the_password(proconnect):
    content = Client().get("/accounts/login/?next=/claims/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert "S&#x27;identifier avec ProConnect" in content or "S'identifier avec ProConnect" in content
    assert 'href="/accounts/proconnect/start/?next=%2Fclaims%2F"' in content
    assert 'name="password"' in content  # passwords stay for volunteers and associations


#
# The flow
#
def test_start_sends_pkce_state_nonce_and_acr_to_the_provider(proconnect):
    client = Client()

    location = _start(client)

    assert location.startswith(f"{proconnect.base}/authorize?")
    params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert params["response_type"] == "code" and params["client_id"] == "rebond-test-client"
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert params["acr_values"] == "eidas1"
    assert set(params["scope"].split()) >= {"openid", "email", "given_name", "usual_name"}
    assert params["redirect_uri"] == "http://testserver/accounts/proconnect/callback/"
    stored = client.session["oidc_states"][params["state"]]
    assert stored["nonce"] == params["nonce"] and stored["code_verifier"]


def test_happy_path_signs_in_the_account_with_the_verified_address(proconnect, agent):
    client = Client()

    response = _sign_in(client, proconnect, "Agnes.Durand@ehpad-tilleuls.fr")

    assert response.status_code == 302 and response["Location"] == "/catalogue/"
    assert _signed_in_user(client) == str(agent.pk)
    assert client.get("/").status_code == 200
    assert proconnect.log()[-1] == {"event": "token", "pkce_ok": True}  # the verifier matched
    assert client.session["oidc_id_token"]  # kept to end the ProConnect session at sign-out


def test_userinfo_as_plain_json_is_accepted_too(proconnect, agent):
    client = Client()

    response = _sign_in(client, proconnect, agent.email, userinfo="json")

    assert response.status_code == 302 and _signed_in_user(client) == str(agent.pk)


@pytest.mark.parametrize("switch", ["wrong_nonce", "expired", "bad_signature", "other_sub"])
def test_a_token_that_fails_a_check_signs_nobody_in(proconnect, agent, switch):
    client = Client()

    response = _sign_in(client, proconnect, agent.email, **{switch: "1"})

    assert response.status_code == 400
    assert "ProConnect" in response.content.decode()
    assert _signed_in_user(client) is None


def test_another_acr_than_the_one_asked_is_refused(proconnect, agent):
    client = Client()

    response = _sign_in(client, proconnect, agent.email, acr="eidas0")

    assert response.status_code == 400 and _signed_in_user(client) is None


def test_wrong_state_is_refused(proconnect, agent):
    client = Client()
    callback = proconnect.choose_identity(_start(client), agent.email)

    response = _callback(client, callback, state="forged-state")

    assert response.status_code == 400
    assert _signed_in_user(client) is None


def test_a_return_in_another_browser_is_refused(proconnect, agent):
    """The state lives in the session that started: a callback link sent to a victim fails."""
    callback = proconnect.choose_identity(_start(Client()), agent.email)
    other = Client()

    response = _callback(other, callback)

    assert response.status_code == 400 and _signed_in_user(other) is None


def test_a_callback_cannot_be_replayed(proconnect, agent):
    client = Client()
    callback = proconnect.choose_identity(_start(client), agent.email)
    assert _callback(client, callback).status_code == 302
    client.post("/accounts/logout/")

    response = _callback(client, callback)

    assert response.status_code == 400 and _signed_in_user(client) is None


def test_a_cancelled_sign_in_explains_and_signs_nobody_in(proconnect):
    client = Client()
    params = parse_qs(urlsplit(_start(client)).query)

    response = client.get(CALLBACK, {"error": "access_denied", "state": params["state"][0]},
                          HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 400
    assert "n&#x27;a pas abouti" in response.content.decode() or "n'a pas abouti" in response.content.decode()


#
# Who is signed in
#
def test_unknown_address_gets_the_page_explaining_how_to_be_invited(proconnect, staff):
    client = Client()
    users_before = get_user_model().objects.count()

    response = _sign_in(client, proconnect, "inconnu@mairie.fr")

    assert response.status_code == 403
    content = response.content.decode()
    assert "inconnu@mairie.fr" in content and "invit" in content
    assert _signed_in_user(client) is None
    assert get_user_model().objects.count() == users_before  # never an account, never a membership


def test_an_address_typed_by_hand_does_not_sign_the_account_in(proconnect, staff):
    """``staff`` has this address but never proved it receives mail there."""
    client = Client()

    response = _sign_in(client, proconnect, staff.email)

    assert response.status_code == 403
    assert "confirm" in response.content.decode().lower()
    assert _signed_in_user(client) is None


def test_a_changed_address_is_no_longer_verified(agent):
    agent.email = "autre@example.org"
    agent.save()

    assert not has_verified_email(agent)


def test_a_pending_invitation_is_accepted_by_the_identity_it_was_sent_to(proconnect, manager, mailoutbox):
    college = OrganisationFactory(name="Collège Jean Macé")
    invitations.invitation_create(actor=manager, organisation=college, email="prof@ac-creteil.fr",
                                  role=Membership.Role.STAFF, base_url="http://testserver/")
    client = Client()

    response = _sign_in(client, proconnect, "PROF@ac-creteil.fr")

    assert response.status_code == 302 and response["Location"] == "/"
    user = get_user_model().objects.get(email="prof@ac-creteil.fr")
    assert _signed_in_user(client) == str(user.pk)
    assert (user.first_name, user.last_name) == ("Agnès", "Durand")
    assert not user.has_usable_password()  # it signs in with ProConnect
    assert Membership.objects.get(user=user).organisation == college
    assert Invitation.objects.get(email="prof@ac-creteil.fr").accepted_at is not None
    assert has_verified_email(user)


def test_an_existing_account_signs_in_but_accepts_its_invitation_itself(proconnect, agent, manager):
    college = OrganisationFactory(name="Collège Jean Macé")
    invitations.invitation_create(actor=manager, organisation=college, email=agent.email,
                                  role=Membership.Role.STAFF, base_url="http://testserver/")
    client = Client()

    assert _sign_in(client, proconnect, agent.email).status_code == 302

    assert _signed_in_user(client) == str(agent.pk)
    assert not Membership.objects.filter(user=agent, organisation=college).exists()
    assert Invitation.objects.get(organisation=college).accepted_at is None


def test_an_inactive_account_is_not_signed_in(proconnect, agent):
    agent.is_active = False
    agent.save()
    client = Client()

    response = _sign_in(client, proconnect, agent.email)

    assert response.status_code == 403 and _signed_in_user(client) is None


#
# Sign-out, and the provider's address
#
def test_sign_out_ends_the_proconnect_session_too(proconnect, agent):
    client = Client()
    _sign_in(client, proconnect, agent.email)

    response = client.post("/accounts/logout/")

    assert _signed_in_user(client) is None
    end = urlsplit(response["Location"])
    assert f"{end.scheme}://{end.netloc}{end.path}" == f"{proconnect.base}/session/end"
    query = {k: v[0] for k, v in parse_qs(end.query).items()}
    assert query["post_logout_redirect_uri"] == "http://testserver/accounts/login/" and query["state"]
    back = requests.get(response["Location"], allow_redirects=False, timeout=5)
    assert back.status_code == 302 and back.headers["Location"].startswith("http://testserver/accounts/login/")
    assert proconnect.log()[-1]["event"] == "end_session" and proconnect.log()[-1]["known_id_token"] is True


def test_a_password_session_signs_out_as_before(staff):
    client = Client()
    client.force_login(staff)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302 and response["Location"] == "/accounts/login/"


def test_pages_may_post_the_sign_out_to_the_provider(proconnect, agent):
    client = Client()
    client.force_login(agent)

    policy = client.get("/")["Content-Security-Policy"]

    form_action = next(part for part in policy.split(";") if part.strip().startswith("form-action"))
    assert proconnect.base in form_action and "'self'" in form_action


def test_http_provider_is_refused_without_debug(proconnect, settings, agent):
    settings.DEBUG = False

    response = Client().get(START)

    assert response.status_code == 502  # the page says ProConnect does not answer; nothing was sent
    assert not oidc_client.url_allowed(proconnect.discovery_url)
    assert not [event for event in proconnect.log() if event["event"] == "authorize" and event.get("nonce") is None]


def test_provider_that_does_not_answer_gets_a_page_not_a_500(settings, db):
    settings.DEBUG = True
    settings.PROCONNECT_DISCOVERY_URL = "http://127.0.0.1:9/.well-known/openid-configuration"
    settings.PROCONNECT_CLIENT_ID, settings.PROCONNECT_CLIENT_SECRET = "c", "s"

    response = Client().get(START, HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 502 and "ProConnect" in response.content.decode()


def test_url_rule(settings):
    settings.DEBUG = True
    assert not oidc_client.url_allowed("http://idp.example/.well-known/openid-configuration")
    assert oidc_client.url_allowed("http://[::1]:8080/.well-known/openid-configuration")
    assert oidc_client.url_allowed("https://auth.agentconnect.gouv.fr/api/v2/.well-known/openid-configuration")


def test_checks_refuse_half_configuration_and_plain_http(settings):
    settings.PROCONNECT_DISCOVERY_URL = "http://idp.example/.well-known/openid-configuration"
    settings.PROCONNECT_CLIENT_ID, settings.PROCONNECT_CLIENT_SECRET = "c", ""
    with pytest.raises(Exception, match="rebond.E010"):
        call_command("check", fail_level="ERROR")

    settings.PROCONNECT_CLIENT_SECRET = "s"
    with pytest.raises(Exception, match="rebond.E011"):
        call_command("check", fail_level="ERROR")


def test_the_invitation_page_offers_to_accept_with_proconnect(proconnect, manager, django_capture_on_commit_callbacks):
    from django.core import mail

    college = OrganisationFactory(name="Collège Jean Macé")
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invitations.invitation_create(
            actor=manager, organisation=college, email="prof@ac-creteil.fr", role=Membership.Role.STAFF,
            base_url="http://testserver/",
        )
    link = next(line for line in mail.outbox[-1].body.split() if "/invitations/" in line)
    path = urlsplit(link).path
    client = Client()

    page = client.get(path, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    start = page.split('data-proconnect')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    assert start.startswith(START)
    callback = proconnect.choose_identity(client.get(start)["Location"], "prof@ac-creteil.fr")
    response = _callback(client, callback)

    assert response.status_code == 302 and response["Location"] == "/"
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    assert Membership.objects.filter(organisation=college, user__email="prof@ac-creteil.fr").exists()
