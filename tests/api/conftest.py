import pytest
from django.core.cache import cache
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttling and lock-out counters live in the cache: no test inherits another's."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api():
    """``api(user)`` → an APIClient signed in as ``user`` (anonymous with None)."""

    def make(user=None, **headers):
        client = APIClient(**headers)
        if user is not None:
            client.force_authenticate(user)
        return client

    return make
