"""Connections under ASGI: requests share a pool, they do not each open one.

Django runs each ASGI request's synchronous code in a thread of its own, so a persistent
connection (``CONN_MAX_AGE``) is never reused: every request opened a PostgreSQL connection
and left it open, and every cache object opened its own Redis connection."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import HttpCommunicator
from django.conf import settings
from django.db import connection

from config.asgi import application
from config.cache import RedisCache

REQUESTS = 12


@sync_to_async
def _backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="server connections are PostgreSQL's: run with DATABASE_URL=postgres://… (CI's leg does)")
# serialized_rollback as the other live tests: the next one restores the same rows.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_asgi_requests_share_the_pools_connections():
    assert settings.DATABASES["default"]["OPTIONS"]["pool"]
    before = await _backends()
    for _ in range(REQUESTS):  # through the application Uvicorn serves (Django's ASGIHandler)
        communicator = HttpCommunicator(application, "GET", "/healthz", headers=[(b"host", b"testserver")])
        response = await communicator.get_response(timeout=10)
        await communicator.wait(timeout=10)  # the request's end: Django returns or closes its connection
        assert response["status"] == 200 and json.loads(response["body"])["database"] == "ok"
    opened = await _backends() - before
    assert opened <= 2, f"{opened} connections left open by {REQUESTS} requests"


def test_cache_objects_share_one_redis_client_per_process():
    # Django builds a cache object per request context under ASGI; each had its own pool.
    first = RedisCache("redis://127.0.0.1:6379/4", {})
    second = RedisCache("redis://127.0.0.1:6379/4", {})
    other = RedisCache("redis://127.0.0.1:6379/5", {})
    assert first is not second and first._cache is second._cache
    assert other._cache is not first._cache
