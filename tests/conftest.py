import pytest
from django.core.cache import cache

pytest_plugins = ["tests.fixtures", "tests.oidc"]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Each test writes its files to its own folder, so tests can count what is left."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Lock-out counters, throttles and the cached site settings live in the cache: no test
    inherits another's."""
    cache.clear()
    yield
    cache.clear()
