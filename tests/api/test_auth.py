"""API tokens (hashed, expiring, renewed on use, bound to the password) and the token
endpoint's lock-out."""

from datetime import timedelta

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.test import Client
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.emails import has_verified_email
from accounts.models import ApiToken
from accounts.tokens import token_issue

TOKEN_URL = "/api/v1/auth/token/"
LOGOUT_URL = "/api/v1/auth/logout/"


def _token(api, username="staff", password="rebond-test", address="10.0.0.1"):
    return api().post(TOKEN_URL, {"username": username, "password": password}, format="json", REMOTE_ADDR=address)


def _me(api, key):
    return api().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")


#
# Tokens
#
def test_token_for_right_credentials_with_its_expiry(api, staff):
    response = _token(api)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expiry"}
    me = _me(api, body["token"])
    assert me.status_code == 200 and me.json()["username"] == "staff"
    token = ApiToken.objects.get(user=staff)
    expiry = timezone.datetime.fromisoformat(body["expiry"])
    assert timedelta(days=6, hours=23) < expiry - timezone.now() <= timedelta(days=7)
    assert token.expiry == expiry


def test_tokens_are_stored_hashed(api, staff):
    key = _token(api).json()["token"]

    token = ApiToken.objects.get(user=staff)
    assert len(key) == 64 and key not in (token.digest, token.token_key)
    assert not ApiToken.objects.filter(digest=key).exists()
    assert token.token_key == key[:15] and len(token.digest) == 128  # SHA-512 of the key


def test_wrong_credentials_are_400(api, staff):
    assert _token(api, password="nope").status_code == 400
    assert not ApiToken.objects.exists()


def test_an_expired_token_is_refused_and_forgotten(api, staff):
    token, key = token_issue(user=staff)
    ApiToken.objects.filter(pk=token.pk).update(expiry=timezone.now() - timedelta(seconds=1))

    assert _me(api, key).status_code == 401
    assert not ApiToken.objects.filter(pk=token.pk).exists()


def test_a_request_reads_its_own_token_only_and_a_new_token_clears_the_expired(api, staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    stale, _ = token_issue(user=staff)
    ApiToken.objects.filter(pk=stale.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    _, key = token_issue(user=staff)
    assert not ApiToken.objects.filter(pk=stale.pk).exists()  # gone when the new one was issued

    _me(api, key)
    with CaptureQueriesContext(connection) as queries:
        assert _me(api, key).status_code == 200
    assert sum("accounts_apitoken" in q["sql"] for q in queries.captured_queries) == 1


def test_a_token_is_renewed_on_use(api, staff):
    token, key = token_issue(user=staff)
    soon = timezone.now() + timedelta(hours=1)
    ApiToken.objects.filter(pk=token.pk).update(expiry=soon)

    assert _me(api, key).status_code == 200

    token.refresh_from_db()
    assert token.expiry > soon + timedelta(days=6)


def test_renewal_never_goes_beyond_ninety_days_after_issue(api, staff):
    token, key = token_issue(user=staff)
    issued = timezone.now() - timedelta(days=89, hours=23)
    ApiToken.objects.filter(pk=token.pk).update(created=issued, expiry=timezone.now() + timedelta(minutes=30))

    assert _me(api, key).status_code == 200

    token.refresh_from_db()
    assert token.expiry <= issued + timedelta(days=90)


def test_logout_revokes_the_presented_token_only(api, staff):
    _, kept = token_issue(user=staff)
    _, used = token_issue(user=staff)

    response = api().post(LOGOUT_URL, HTTP_AUTHORIZATION=f"Token {used}")

    assert response.status_code == 204
    assert _me(api, used).status_code == 401
    assert _me(api, kept).status_code == 200


def test_logout_without_a_token_is_401(api, staff):
    assert api().post(LOGOUT_URL).status_code == 401
    assert api(staff).post(LOGOUT_URL).status_code == 401  # a session has no token to revoke


@pytest.mark.parametrize("header", ["Token ", "Token a b", "Token \u00e9\u00e9\u00e9", "Token " + "f" * 64])
def test_bad_token_headers_are_401_never_500(api, staff, header):
    assert api().get("/api/v1/me/", HTTP_AUTHORIZATION=header).status_code == 401


def test_an_old_token_answers_401_after_the_password_change_page(api, staff):
    _, key = token_issue(user=staff)
    client = Client()
    client.force_login(staff)

    response = client.post("/accounts/password_change/", {
        "old_password": "rebond-test",
        "new_password1": "une-phrase-de-passe-2026", "new_password2": "une-phrase-de-passe-2026",
    })

    assert response.status_code == 302
    assert _me(api, key).status_code == 401
    assert not ApiToken.objects.filter(user=staff).exists()
    assert client.get("/").status_code == 200  # this browser stays signed in (Django's own rule)


def test_a_password_reset_ends_the_tokens_and_proves_the_address(api, staff, settings):
    settings.SITE_URL = "https://rebond.example/"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "evil.example"]  # as a careless "*" would
    _, key = token_issue(user=staff)
    client = Client()
    client.post("/accounts/password_reset/", {"email": staff.email}, HTTP_HOST="evil.example")
    link = next(line for line in mail.outbox[-1].body.splitlines() if "/accounts/reset/" in line)
    assert link.startswith("https://rebond.example/accounts/reset/")  # never the Host header
    uid, token = urlsafe_base64_encode(force_bytes(staff.pk)), default_token_generator.make_token(staff)
    form = client.get(f"/accounts/reset/{uid}/{token}/", follow=True)

    response = client.post(form.redirect_chain[-1][0], {
        "new_password1": "une-phrase-de-passe-2026", "new_password2": "une-phrase-de-passe-2026",
    })

    assert response.status_code == 302
    assert _me(api, key).status_code == 401
    assert has_verified_email(staff)


def test_any_other_password_change_ends_the_tokens_too(api, staff):
    """The admin's form, ``manage.py changepassword``: all end with ``set_password``."""
    _, key = token_issue(user=staff)

    staff.set_password("une-phrase-de-passe-2026")
    staff.save()

    assert _me(api, key).status_code == 401


def test_new_passwords_have_twelve_characters_and_are_not_common(staff):
    client = Client()
    client.force_login(staff)

    for weak in ("court-2026", "password1234"):
        response = client.post("/accounts/password_change/", {
            "old_password": "rebond-test", "new_password1": weak, "new_password2": weak,
        })
        assert response.status_code == 200  # the form again, with the reason
    staff.refresh_from_db()
    assert staff.check_password("rebond-test")


#
# Lock-out of the token endpoint (the rest in tests/accounts/test_lockout.py)
#
def test_ten_failures_lock_the_username_with_retry_after(api, staff):
    for _ in range(10):
        assert _token(api, password="nope").status_code == 400

    # Even the right password is refused while locked.
    response = _token(api)

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    assert response.json()["detail"]


def test_fifteen_failures_from_many_addresses_lock_the_username(api, staff):
    for n in range(15):
        assert _token(api, password="nope", address=f"10.1.0.{n}").status_code == 400

    response = _token(api, address="10.2.0.1")

    assert response.status_code == 429 and int(response["Retry-After"]) > 0


def test_lock_out_is_per_username(api, staff, volunteer):
    for _ in range(10):
        _token(api, password="nope")

    assert _token(api, username="volunteer").status_code == 200


def test_address_limit_is_generous_but_real(api, staff, settings):
    settings.LOCKOUT_MAX_FAILURES_PER_ADDRESS = 30
    for n in range(30):
        assert _token(api, username=f"someone{n}", password="x").status_code == 400  # colleagues mistyping

    assert _token(api).status_code == 429
