"""API throttling by address and by user, and ``GET /api/v1/me/data/``."""

import pytest
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from exchange import privacy

TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture
def tiny_rates(monkeypatch):
    # DRF copies DEFAULT_THROTTLE_RATES onto the throttle classes when they are defined.
    monkeypatch.setitem(AnonRateThrottle.THROTTLE_RATES, "anon", "3/minute")
    monkeypatch.setitem(UserRateThrottle.THROTTLE_RATES, "user", "5/minute")


def _token(client, address="10.1.1.1", **headers):
    return client.post(
        TOKEN_URL, {"username": "staff", "password": "rebond-test"}, format="json", REMOTE_ADDR=address, **headers
    )


def test_settings_throttle_by_address_and_by_user(settings):
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] == [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ]
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == 0


def test_anonymous_address_gets_429_beyond_the_rate(api, staff, tiny_rates):
    client = api()

    statuses = [_token(client).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    assert int(_token(client)["Retry-After"]) > 0
    assert _token(client, address="10.2.2.2").status_code == 200  # another address is not slowed


def test_a_forged_forwarded_for_does_not_escape_the_address_throttle(api, staff, tiny_rates):
    client = api()

    statuses = [_token(client, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code for n in range(4)]

    assert statuses == [200, 200, 200, 429]


def test_user_gets_429_beyond_the_rate_from_any_address(api, staff, tiny_rates):
    client = api(staff)

    statuses = [client.get("/api/v1/me/", REMOTE_ADDR=f"10.0.0.{n}").status_code for n in range(6)]

    assert statuses == [200] * 5 + [429]
    assert api(staff).get("/api/v1/me/").status_code == 429  # the user, not the connection


def test_me_data_is_my_personal_data(api, staff):
    response = api(staff).get("/api/v1/me/data/")

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    data = response.json()
    assert data["account"]["username"] == "staff"
    expected = privacy.personal_data(staff)
    assert {key: value for key, value in data.items() if key != "exported_at"} == {
        key: value for key, value in expected.items() if key != "exported_at"
    }


def test_me_data_needs_authentication(api, db):
    assert api().get("/api/v1/me/data/").status_code == 401
