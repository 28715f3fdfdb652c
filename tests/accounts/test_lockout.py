"""The one lock-out of the sign-in page, /admin/login/ and the token endpoint: atomic counts,
(username, address) and username limits, and device cookies that keep a person signing in
while someone else guesses."""

import pytest
import time_machine
from django.test import Client

from inventory import lockout
from tests.factories import UserFactory
from tests.races import race

LOGIN_URL, ADMIN_LOGIN_URL, TOKEN_URL = "/accounts/login/", "/admin/login/", "/api/v1/auth/token/"


def _post(client, url, password, username="staff", address="10.0.0.1"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address,
                       HTTP_ACCEPT_LANGUAGE="fr")


@pytest.fixture
def admin_user(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


#
# The admin sign-in
#
def test_twelve_wrong_passwords_on_the_admin_sign_in_lock_it(admin_user):
    client = Client()
    answers = [_post(client, ADMIN_LOGIN_URL, "nope", username="root").status_code for _ in range(12)]

    response = _post(client, ADMIN_LOGIN_URL, "rebond-test", username="root")  # even the right password

    assert answers == [200] * 10 + [429, 429]
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    assert "Trop de tentatives échouées" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # still signed out


def test_the_admin_sign_in_shares_the_lock_out_of_the_other_sign_ins(admin_user):
    for _ in range(10):
        _post(Client(), LOGIN_URL, "nope", username="root")

    assert _post(Client(), ADMIN_LOGIN_URL, "rebond-test", username="root").status_code == 429
    assert _post(Client(), TOKEN_URL, "rebond-test", username="root").status_code == 429


def test_the_admin_sign_in_still_signs_in(admin_user):
    client = Client()

    response = _post(client, ADMIN_LOGIN_URL, "rebond-test", username="root")

    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get(ADMIN_LOGIN_URL).status_code == 302  # signed in: on to the admin


#
# Counting under concurrency
#
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_fifty_concurrent_wrong_attempts_are_all_counted(settings):
    UserFactory(username="staff")
    settings.LOCKOUT_MAX_FAILURES_PER_USERNAME = 1000  # nothing locks: every attempt must count
    settings.LOCKOUT_MAX_FAILURES_PER_USERNAME_AND_ADDRESS = 1000

    outcomes = race([
        lambda n=n: _post(Client(), LOGIN_URL, "nope", address=f"10.3.{n // 250}.{n % 250}").status_code
        for n in range(50)
    ], keep_results=True)

    assert outcomes == [200] * 50
    assert lockout.failure_count("user", "staff") == 50


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_guesses_cannot_check_more_passwords_than_the_limit():
    UserFactory(username="staff")

    outcomes = race([
        lambda n=n: _post(Client(), LOGIN_URL, "nope", address=f"10.4.0.{n}").status_code for n in range(50)
    ], keep_results=True)

    # 15 passwords checked (the username's limit from many addresses); the others locked out.
    assert sorted(outcomes) == [200] * 15 + [429] * 35


#
# Device cookies
#
def test_a_known_device_signs_in_while_its_username_is_under_attack(staff):
    mine = Client()
    assert _post(mine, LOGIN_URL, "rebond-test", address="10.0.0.1").status_code == 302
    mine.post("/accounts/logout/")
    # Someone else guesses from many addresses: the username is locked for unknown browsers…
    for n in range(20):
        _post(Client(), LOGIN_URL, "nope", address=f"192.0.2.{n}")
    assert _post(Client(), LOGIN_URL, "rebond-test", address="192.0.2.99").status_code == 429
    assert _post(Client(), LOGIN_URL, "rebond-test", address="10.0.0.1").status_code == 429  # even from my address

    # …but not for the browser that signed in before.
    response = _post(mine, LOGIN_URL, "rebond-test", address="10.0.0.1")

    assert response.status_code == 302
    assert mine.get("/").status_code == 200


def test_a_known_device_also_gets_its_token(staff):
    mine = Client()
    _post(mine, LOGIN_URL, "rebond-test")
    for n in range(20):
        _post(Client(), TOKEN_URL, "nope", address=f"192.0.2.{n}")

    assert _post(mine, TOKEN_URL, "rebond-test").status_code == 200


def test_a_known_device_has_its_own_limit(staff):
    mine = Client()
    _post(mine, LOGIN_URL, "rebond-test")
    mine.post("/accounts/logout/")

    answers = [_post(mine, LOGIN_URL, "nope").status_code for _ in range(11)]

    assert answers == [200] * 10 + [429]
    assert lockout.failure_count("user", "staff") == 0  # its mistakes did not count against the username


def test_a_device_cookie_is_for_its_account_only(staff, volunteer):
    mine = Client()
    _post(mine, LOGIN_URL, "rebond-test", username="volunteer")
    for n in range(20):
        _post(Client(), LOGIN_URL, "nope", address=f"192.0.2.{n}")

    assert _post(mine, LOGIN_URL, "rebond-test").status_code == 429  # staff never signed in here


def test_a_forged_device_cookie_is_ignored(staff):
    for n in range(20):
        _post(Client(), LOGIN_URL, "nope", address=f"192.0.2.{n}")
    forged = Client()
    forged.cookies[lockout.DEVICE_COOKIE] = "W1siYWJjIiwieHl6Il1d:forged:signature"

    assert _post(forged, LOGIN_URL, "rebond-test").status_code == 429


def test_the_device_cookie_is_http_only_and_lax(staff):
    client = Client()

    _post(client, LOGIN_URL, "rebond-test")

    cookie = client.cookies[lockout.DEVICE_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == 365 * 86400
    assert "staff" not in cookie.value  # the username is not in clear


#
# The window (in a local-memory cache: a Redis server's expiry follows its own clock, which
# time_machine does not move)
#
LOCAL_CACHE = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "lockout-window"}}


def test_a_lock_ends_when_its_window_has_passed(staff, settings):
    settings.CACHES = LOCAL_CACHE
    with time_machine.travel("2026-12-31 23:50 +01:00", tick=False) as traveller:
        for _ in range(10):
            _post(Client(), LOGIN_URL, "nope")
        response = _post(Client(), LOGIN_URL, "rebond-test")
        assert response.status_code == 429 and int(response["Retry-After"]) == 15 * 60

        traveller.shift(15 * 60 + 1)

        assert _post(Client(), LOGIN_URL, "rebond-test").status_code == 302


def test_failures_older_than_the_window_do_not_count(staff, settings):
    settings.CACHES = LOCAL_CACHE
    with time_machine.travel("2026-06-30 12:00 +02:00", tick=False) as traveller:
        for _ in range(9):
            _post(Client(), LOGIN_URL, "nope")
        traveller.shift(15 * 60 + 1)

        answers = [_post(Client(), LOGIN_URL, "nope").status_code for _ in range(10)]

    assert answers == [200] * 10
