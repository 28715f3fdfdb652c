"""Sign-in lock-out on the page (shared with the API token endpoint), session expiry, and the
"My data" page (download, erasure)."""

import json

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from exchange import privacy
from inventory.models import Membership

from .conftest import signed_in

LOGIN_URL = "/accounts/login/"
TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _sign_in(client, password, username="staff"):
    return client.post(LOGIN_URL, {"username": username, "password": password}, HTTP_ACCEPT_LANGUAGE="fr")


def test_right_password_signs_in(staff):
    client = Client()

    response = _sign_in(client, "rebond-test")

    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_ten_failures_lock_the_sign_in_page_with_retry_after(staff):
    client = Client()
    for _ in range(10):
        assert _sign_in(client, "nope").status_code == 200  # the form again, with its error

    response = _sign_in(client, "rebond-test")  # even the right password

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    assert "Trop de tentatives échouées. Réessayez dans 15 minutes." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_page_and_the_token_endpoint_share_one_lock_out(staff):
    api = APIClient()
    for _ in range(10):
        api.post(TOKEN_URL, {"username": "staff", "password": "nope"}, format="json")

    assert _sign_in(Client(), "rebond-test").status_code == 429

    cache.clear()
    for _ in range(10):
        _sign_in(Client(), "nope")

    response = api.post(TOKEN_URL, {"username": "staff", "password": "rebond-test"}, format="json")
    assert response.status_code == 429
    assert response.json()["detail"].startswith("Trop de tentatives")


def test_lock_out_is_per_username_on_the_page(staff, volunteer):
    for _ in range(10):
        _sign_in(Client(), "nope")

    assert _sign_in(Client(), "rebond-test", username="volunteer").status_code == 302


def test_success_on_the_page_clears_the_failures_of_that_browser(staff):
    client = Client()
    for _ in range(9):
        _sign_in(client, "nope")
    assert _sign_in(client, "rebond-test").status_code == 302
    client.post("/accounts/logout/")
    for _ in range(9):
        _sign_in(client, "nope")

    assert _sign_in(client, "rebond-test").status_code == 302


def test_a_success_does_not_hand_a_guesser_fresh_tries(staff):
    """The username's own count (from any browser) survives a success: 9 + 9 guesses from
    unknown browsers pass the username's limit of 15 even though the person signed in between."""
    for _ in range(9):
        _sign_in(Client(), "nope")
    assert _sign_in(Client(), "rebond-test").status_code == 302
    for _ in range(9):
        _sign_in(Client(), "nope")

    assert _sign_in(Client(), "rebond-test").status_code == 429


def test_session_ends_with_the_browser_and_after_a_working_day(staff):
    client = Client()

    _sign_in(client, "rebond-test")

    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["max-age"] and not cookie["expires"]  # a browser-session cookie
    assert cookie["httponly"]
    assert 11.9 * 3600 < client.session.get_expiry_age() <= 12 * 3600  # the server forgets it too


#
# My data
#
def test_my_data_page_needs_a_sign_in(db):
    response = Client().get("/account/data/")

    assert response.status_code == 302 and response["Location"].startswith(LOGIN_URL)


def test_my_data_page_offers_the_download_and_the_erasure(staff):
    response = signed_in(staff).get("/account/data/")

    assert response.status_code == 200
    content = response.content.decode()
    assert 'href="/account/data/download/"' in content
    assert 'action="/account/data/erase/"' in content and 'name="password"' in content
    # What stays, why and for how long
    assert "procès-verbaux de cession" in content and "10 ans" in content


def test_download_is_my_personal_data_as_json(staff):
    response = signed_in(staff).get("/account/data/download/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["account"]["username"] == "staff"
    assert data["memberships"][0]["organisation"] == "EHPAD Les Tilleuls"
    assert set(data) == set(privacy.personal_data(staff))


def test_erasure_needs_the_password_again(staff):
    client = signed_in(staff)

    response = client.post("/account/data/erase/", {"password": "not-my-password"})

    assert response.status_code == 400
    staff.refresh_from_db()
    assert staff.username == "staff" and staff.is_active
    assert client.get("/account/data/").status_code == 200  # still signed in


def test_erasure_guesses_meet_the_lock_out(staff):
    client = signed_in(staff)
    for _ in range(10):
        client.post("/account/data/erase/", {"password": "guess"})

    response = client.post("/account/data/erase/", {"password": "rebond-test"})

    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    staff.refresh_from_db()
    assert staff.is_active


def test_erasure_anonymises_and_signs_out(staff):
    client = signed_in(staff)

    response = client.post("/account/data/erase/", {"password": "rebond-test"})

    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    staff.refresh_from_db()
    assert privacy.is_erased(staff) and staff.email == ""
    assert not Membership.objects.filter(user=staff).exists()
    assert client.get("/account/data/").status_code == 302  # signed out
    assert not get_user_model().objects.filter(username="staff").exists()


def test_an_account_without_password_confirms_with_a_fresh_proconnect_sign_in(proconnect, staff):
    from accounts.emails import Method, email_verify
    from tests.accounts.test_proconnect import _sign_in as proconnect_sign_in

    staff.set_unusable_password()
    staff.save()
    email_verify(user=staff, method=Method.ADMIN)
    client = Client()
    assert proconnect_sign_in(client, proconnect, staff.email).status_code == 302
    session = client.session
    session["proconnect_auth_at"] -= 11 * 60  # signed in a while ago
    session.save()
    page = client.get("/account/data/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert 'name="password"' not in page and "reauth=1" in page
    assert client.post("/account/data/erase/", {}).status_code == 400  # not confirmed again yet

    assert proconnect_sign_in(client, proconnect, staff.email).status_code == 302  # "Confirm with ProConnect"

    assert client.post("/account/data/erase/", {}).status_code == 302
    staff.refresh_from_db()
    assert privacy.is_erased(staff)


def test_erasure_only_by_post(staff):
    assert signed_in(staff).get("/account/data/erase/").status_code == 405
