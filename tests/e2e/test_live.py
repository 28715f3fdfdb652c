"""Real time in real browsers: a claim disappears from a volunteer's catalogue and appears on
the giver's item page without either page being reloaded.

pytest-django's live server speaks WSGI only, so this test serves the app as ``make demo``
does, with Uvicorn (ASGI: HTTP and WebSockets, one process, in-memory channel layer), on the
test database.
"""

import os
import socket
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection
from playwright.sync_api import expect

from inventory import services as inventory_services
from tests.factories import AssociationFactory, ItemFactory, OrganisationFactory, member, upload

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
PASSWORD = "rebond-test"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def asgi_server(tmp_path):
    if connection.vendor != "sqlite":
        pytest.fail("the browser tests run on the embedded stack (SQLite); see make test-e2e")
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DJANGO_SQLITE_PATH": connection.settings_dict["NAME"],  # the test database, already built
        "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    env.pop("REDIS_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port), "config.asgi:application"],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=(tmp_path / "server.log").open("w"),
    )
    deadline = time.monotonic() + 60  # a loaded machine starts Python slowly
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        server.kill()
        pytest.fail("the ASGI server did not start: " + (tmp_path / "server.log").read_text())
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()


@pytest.fixture
def scene():
    giver, association = OrganisationFactory(name="EHPAD Les Tilleuls"), AssociationFactory(name="Recyclerie du Val")
    staff = member(giver, "staff", username="claire")
    member(association, "volunteer", username="karim")
    member(association, "volunteer", username="lea")
    item = ItemFactory(owner=giver, title="Lit médicalisé électrique", quantity=1,
                       category=ItemFactory.build().category)
    inventory_services.photo_add(actor=staff, item=item, upload=upload())
    inventory_services.item_publish(actor=staff, item=item)
    return item


def _signed_in_page(browser, base_url, username, viewport):
    page = browser.new_context(viewport=viewport, locale="fr-FR").new_page()
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base_url}/")
    return page


def _live(page):
    expect(page.locator("body")).to_have_attribute("data-live", "on", timeout=10_000)
    page.evaluate("window.__notReloaded = true")  # gone if the page were reloaded


def test_a_claim_leaves_the_catalogue_and_reaches_the_giver_without_reload(browser, asgi_server, scene, shoot):
    phone = {"width": 375, "height": 740}
    catalogue = _signed_in_page(browser, asgi_server, "karim", phone)
    catalogue.goto(f"{asgi_server}/catalogue/")
    card = catalogue.get_by_text("Lit médicalisé électrique")
    card.wait_for()
    _live(catalogue)

    giver = _signed_in_page(browser, asgi_server, "claire", {"width": 1280, "height": 900})
    giver.goto(f"{asgi_server}/items/{scene.pk}/")
    giver.get_by_text("Aucune demande pour l’instant").wait_for()
    _live(giver)
    shoot(giver, "giver-before")

    # Another volunteer claims the only unit, from a third browser.
    claimant = _signed_in_page(browser, asgi_server, "lea", phone)
    claimant.goto(f"{asgi_server}/items/{scene.pk}/")
    claimant.click("form.claim-form button[type=submit]")
    claimant.wait_for_url(f"{asgi_server}/reservations/")

    card.wait_for(state="detached", timeout=10_000)
    assert catalogue.evaluate("window.__notReloaded") is True
    shoot(catalogue, "catalogue-after-claim")

    giver.locator("#item-claims").get_by_text("Recyclerie du Val").wait_for(timeout=10_000)
    assert giver.evaluate("window.__notReloaded") is True
    assert giver.locator("#item-claims button", has_text="Accepter").count() == 1
    shoot(giver, "giver-after-claim")
