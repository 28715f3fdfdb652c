"""In a real browser: the "My data" page (download, erasure with its confirmation) and the
sign-in page once locked out — both under the CSP and checked with axe-core."""

import json

import pytest
from django.core.cache import cache

from exchange import privacy
from tests.factories import AssociationFactory, member

from .test_journey import PASSWORD, journey_db

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The live server shares this process's cache: no lock-out may outlive its test."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def karim(db):
    return member(AssociationFactory(name="Recyclerie du Val"), "volunteer", username="karim")


def _sign_in(page, live_server, username, password=PASSWORD):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit].primary")


@journey_db
def test_my_data_download_then_erasure(browser, live_server, karim, shoot):
    page = browser.new_context(locale="fr-FR", accept_downloads=True).new_page()
    _sign_in(page, live_server, "karim")
    page.wait_for_url(f"{live_server.url}/")
    page.click("nav.main-nav a[href='/account/data/']")
    shoot(page, "my-data")

    with page.expect_download() as download:
        page.click("a[href='/account/data/download/']")
    data = json.loads(open(download.value.path(), encoding="utf-8").read())  # noqa: SIM115
    assert data["account"]["username"] == "karim"

    page.fill("#id_password", PASSWORD)  # erasure asks for the password again
    page.once("dialog", lambda dialog: dialog.accept())  # the data-confirm question
    page.click("button.danger")
    page.wait_for_url(f"{live_server.url}/accounts/login/")
    shoot(page, "erased")
    karim.refresh_from_db()
    assert privacy.is_erased(karim)


@journey_db
def test_locked_out_sign_in_page(browser, live_server, karim, shoot):
    page = browser.new_context(locale="fr-FR").new_page()
    for _ in range(10):
        _sign_in(page, live_server, "karim", "wrong")
        page.wait_for_selector("p.error")

    _sign_in(page, live_server, "karim")

    page.wait_for_selector("text=Trop de tentatives échouées")
    assert page.url == f"{live_server.url}/accounts/login/"
    shoot(page, "locked-out")
