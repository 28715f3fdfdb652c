"""Browser tests: Debian's chromium (never Playwright's own download), headless, against
pytest-django's live server. Run them in their own pytest process (``make test-e2e``) with
DJANGO_ALLOW_ASYNC_UNSAFE=true: Playwright's sync API runs an event loop in this thread."""

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("REBOND_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
AXE_SOURCE = AXE.read_text(encoding="utf-8") + "\n;undefined"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
        ],
    }


def axe_violations(page) -> list[dict]:
    """Run axe-core in the page; return its violations, whatever their impact (RGAA: none is
    acceptable)."""
    # Evaluated through DevTools rather than added as a <script>: the pages' CSP forbids inline scripts.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "nodes": [node["html"][:160] for node in v["nodes"][:3]]}
        for v in result["violations"]
    ]


# Records Content-Security-Policy violations in every page (injected by the browser, so the
# recorder itself is not subject to the policy); ``shoot`` fails on any.
CSP_RECORDER = (
    "window.__csp = [];"
    "document.addEventListener('securitypolicyviolation',"
    " (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
)


@pytest.fixture
def browser(browser):
    original = browser.new_context

    def new_context(**kwargs):
        context = original(**kwargs)
        context.add_init_script(CSP_RECORDER)
        return context

    browser.new_context = new_context
    yield browser
    browser.new_context = original


@pytest.fixture
def shoot(request):
    """Saves a full-page screenshot per step under tests/artifacts/<test>/ and checks the
    page with axe-core."""
    folder = ARTIFACTS / request.node.name.replace("[", "-").replace("]", "")
    folder.mkdir(parents=True, exist_ok=True)
    counter = {"n": 0}

    def _shoot(page, name: str, *, check_a11y: bool = True) -> None:
        counter["n"] += 1
        page.screenshot(path=str(folder / f"{counter['n']:02d}-{name}.png"), full_page=True)
        assert page.evaluate("window.__csp || []") == [], f"{name}: Content-Security-Policy violations"
        if check_a11y:
            violations = axe_violations(page)
            assert violations == [], f"{name}: {violations}"
        # Nothing may be wider than the screen (the pages are usable at 375 px).
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name}: {overflow}px of horizontal scrolling"

    return _shoot


def sign_in(page, live_server, username: str, *, password: str = "rebond-test", then: str = "/") -> None:
    """Sign in through the login page, then land on ``then``."""
    page.goto(f"{live_server.url}/accounts/login/?next={then}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}{then}")
