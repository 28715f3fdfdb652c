"""In a real browser at 375 and 1280 px: ProConnect sign-in against the tests' own OpenID
Connect provider process, the page for an address nobody invited, and the sign-out that ends
the ProConnect session too."""

import pytest

from accounts.emails import Method, email_verify
from tests.factories import OrganisationFactory, member

from .test_journey import journey_db

pytestmark = pytest.mark.e2e

VIEWPORTS = {"phone": {"width": 375, "height": 812}, "desktop": {"width": 1280, "height": 800}}


@pytest.fixture
def agent(db):
    user = member(OrganisationFactory(name="EHPAD Les Tilleuls"), "staff", username="agnes",
                  email="agnes.durand@ehpad-tilleuls.fr", first_name="Agnès")
    email_verify(user=user, method=Method.ADMIN)
    return user


def _through_proconnect(page, live_server, provider, email, shoot):
    page.goto(f"{live_server.url}/accounts/login/")
    shoot(page, "sign-in-page")
    page.click("a[data-proconnect]")
    page.wait_for_url(f"{provider.base}/authorize?*")
    shoot(page, "provider-page", check_a11y=False)  # the provider's page, not ours
    page.fill("#email", email)
    page.click("button[type=submit]")


@journey_db
@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_proconnect_sign_in_then_sign_out(browser, live_server, proconnect, agent, shoot, screen):
    page = browser.new_context(viewport=VIEWPORTS[screen], locale="fr-FR").new_page()

    _through_proconnect(page, live_server, proconnect, agent.email, shoot)

    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("a[data-proconnect]").count() == 0
    shoot(page, "signed-in")
    page.goto(f"{live_server.url}/account/data/")  # signed in for real: a page only members see
    assert page.locator("h1").inner_text() == "Mes données"

    if page.locator(".menu-toggle").is_visible():  # on a phone the menu is folded
        page.click(".menu-toggle")
    page.locator("form[action='/accounts/logout/'] button").first.click()

    page.wait_for_url(f"{live_server.url}/accounts/login/*")
    shoot(page, "signed-out")
    ended = [event for event in proconnect.log() if event["event"] == "end_session"]
    assert ended and ended[-1]["known_id_token"] is True  # the provider ended its session too
    page.goto(f"{live_server.url}/account/data/")
    assert "/accounts/login/" in page.url  # and Rebond's is over


@journey_db
@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_an_address_nobody_invited_gets_the_explanation(browser, live_server, proconnect, shoot, screen):
    page = browser.new_context(viewport=VIEWPORTS[screen], locale="fr-FR").new_page()

    _through_proconnect(page, live_server, proconnect, "inconnu@mairie-creteil.fr", shoot)

    page.wait_for_selector("text=Vous n'êtes pas encore membre de Rebond")
    assert "inconnu@mairie-creteil.fr" in page.content()
    shoot(page, "not-invited")
