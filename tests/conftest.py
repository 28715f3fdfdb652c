import datetime
import os

import pytest
import time_machine
from django.core.cache import cache

pytest_plugins = ["tests.fixtures", "tests.oidc", "tests.s3"]

# CI runs the suite again with the clock moved to awkward instants (New Year's Eve late in
# UTC, a 29 February): REBOND_TEST_CLOCK is where the clock starts, and it runs from there.
# time-machine moves the wall clock only; monotonic clocks, sleeps and timed waits stay real
# (libfaketime moved those too and a timed wait never returned).
_clock = None


def pytest_configure(config):
    global _clock
    if start := os.environ.get("REBOND_TEST_CLOCK"):
        _clock = time_machine.travel(datetime.datetime.fromisoformat(start), tick=True)
        _clock.start()


def pytest_report_header(config):
    if _clock is not None:
        return f"clock moved by REBOND_TEST_CLOCK: it is now {datetime.datetime.now().astimezone().isoformat()}"


def pytest_unconfigure(config):
    if _clock is not None:
        _clock.stop()


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
