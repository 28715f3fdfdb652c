"""Fixtures: a real OpenID Connect provider process (``tests/oidc_provider.py``) and Rebond
configured to use it as ProConnect."""

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

PROVIDER = Path(__file__).resolve().parent / "oidc_provider.py"
CLIENT_ID, CLIENT_SECRET = "rebond-test-client", "rebond-test-secret-0123456789"


@dataclass
class ProviderProcess:
    base: str

    @property
    def discovery_url(self) -> str:
        return f"{self.base}/.well-known/openid-configuration"

    def log(self) -> list[dict]:
        return requests.get(f"{self.base}/_log", timeout=5).json()

    def choose_identity(self, authorize_url: str, email: str, **switches) -> str:
        """What the person does on the provider's page; returns the callback address."""
        params = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
        identity = {"email": email, "given_name": "Agnès", "usual_name": "Durand"}
        answer = requests.post(f"{self.base}/authorize", data={**params, **identity, **switches},
                               allow_redirects=False, timeout=5)
        assert answer.status_code == 302, answer.text
        return answer.headers["Location"]


def same_clock() -> dict:
    """The provider's environment: when CI has moved the tests' clock (REBOND_TEST_CLOCK, see
    tests/conftest.py), the provider's starts where ours is now, or its tokens would be issued
    at another date than the one the tests live in."""
    env = dict(os.environ)
    if "REBOND_TEST_CLOCK" in env:
        env["REBOND_TEST_CLOCK"] = datetime.now(UTC).isoformat()
    return env


@pytest.fixture(scope="session")
def oidc_provider():
    process = subprocess.Popen(
        [sys.executable, str(PROVIDER), CLIENT_ID, CLIENT_SECRET, "--lifetime", "1800"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=same_clock(),
    )
    try:
        line = process.stdout.readline().split()
        assert line[:1] == ["port"], f"the provider did not start: {line}"
        yield ProviderProcess(base=f"http://127.0.0.1:{line[1]}")
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def proconnect(settings, oidc_provider, db):
    """Rebond with ProConnect configured on the test provider (http on loopback: DEBUG on)."""
    settings.DEBUG = True
    settings.PROCONNECT_DISCOVERY_URL = oidc_provider.discovery_url
    settings.PROCONNECT_CLIENT_ID = CLIENT_ID
    settings.PROCONNECT_CLIENT_SECRET = CLIENT_SECRET
    settings.PROCONNECT_ACR_VALUES = "eidas1"
    return oidc_provider
