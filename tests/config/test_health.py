"""/healthz: 200 when the database and each Redis in use answer, 503 naming what failed."""

from unittest import mock

from django.db import OperationalError


def test_healthy_with_the_database_and_no_redis_configured(client, db, settings):
    settings.REDIS_URL = settings.CACHE_URL = None

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "not configured", "cache": "not configured"}
    assert "no-cache" in response["Cache-Control"]


def test_an_unreachable_redis_is_a_503(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable" and response.json()["redis"].startswith("error: ")
    assert response.json()["database"] == "ok"


def test_a_failing_database_is_a_503_not_a_500(client, db, settings):
    settings.REDIS_URL = settings.CACHE_URL = None
    with mock.patch("config.health._database", side_effect=OperationalError("down")):
        response = client.get("/healthz")

    assert response.status_code == 503 and response.json()["database"] == "error: OperationalError"


def test_a_reachable_redis_is_checked(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:6379/9"
    with mock.patch("redis.Redis.ping", return_value=True) as ping:
        response = client.get("/healthz")

    assert response.status_code == 200 and response.json()["redis"] == "ok" and ping.called
