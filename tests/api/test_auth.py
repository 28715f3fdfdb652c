"""Token sign-in and its lock-out."""

from inventory import lockout

TOKEN_URL = "/api/v1/auth/token/"


def test_token_for_right_credentials(api, staff):
    response = api().post(TOKEN_URL, {"username": "staff", "password": "rebond-test"}, format="json")

    assert response.status_code == 200
    token = response.json()["token"]
    me = api().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert me.status_code == 200 and me.json()["username"] == "staff"


def test_wrong_credentials_are_400(api, staff):
    response = api().post(TOKEN_URL, {"username": "staff", "password": "nope"}, format="json")

    assert response.status_code == 400


def test_ten_failures_lock_the_username_with_retry_after(api, staff):
    client = api()
    for _ in range(10):
        assert client.post(TOKEN_URL, {"username": "staff", "password": "nope"}, format="json").status_code == 400

    # Even the right password is refused while locked.
    response = client.post(TOKEN_URL, {"username": "staff", "password": "rebond-test"}, format="json")

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    assert response.json()["detail"]


def test_lock_out_is_per_username(api, staff, volunteer):
    client = api()
    for _ in range(10):
        client.post(TOKEN_URL, {"username": "staff", "password": "nope"}, format="json")

    response = client.post(TOKEN_URL, {"username": "volunteer", "password": "rebond-test"}, format="json")

    assert response.status_code == 200


def test_failures_older_than_the_window_do_not_count(staff, monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(lockout.time, "time", lambda: now[0])
    for _ in range(10):
        lockout.record_failure("staff", "10.0.0.1")
    assert lockout.retry_after("staff", "10.0.0.1") == 15 * 60 + 1

    now[0] += 15 * 60 + 1

    assert lockout.retry_after("staff", "10.0.0.1") is None


def test_success_clears_the_username_failures(api, staff):
    client = api()
    for _ in range(9):
        client.post(TOKEN_URL, {"username": "staff", "password": "nope"}, format="json")
    assert client.post(TOKEN_URL, {"username": "staff", "password": "rebond-test"}, format="json").status_code == 200

    for _ in range(9):
        client.post(TOKEN_URL, {"username": "staff", "password": "nope"}, format="json")

    response = client.post(TOKEN_URL, {"username": "staff", "password": "rebond-test"}, format="json")
    assert response.status_code == 200


def test_address_limit_is_generous_but_real(api, staff, settings):
    settings.LOCKOUT_MAX_FAILURES_PER_ADDRESS = 30
    client = api()
    for n in range(30):
        response = client.post(TOKEN_URL, {"username": f"someone{n}", "password": "x"}, format="json")
        assert response.status_code == 400  # 30 colleagues mistyping is not an attack yet

    response = client.post(TOKEN_URL, {"username": "staff", "password": "rebond-test"}, format="json")

    assert response.status_code == 429
