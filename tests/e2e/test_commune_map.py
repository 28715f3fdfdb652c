"""The dashboard's commune map in a real browser, at 375 and 1280 px: drawn by the server
(no tile server, nothing from the internet), each commune reached with the Tab key and named
with its figures, the table beside it, the legend, the attribution; axe-core finds nothing
serious. Screenshots in tests/artifacts/."""

from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from exchange.models import DeliveryFeedback, ImpactRecord, Reservation
from inventory.models import Category, Commune
from tests.e2e.conftest import sign_in
from tests.factories import AssociationFactory, DepartmentFactory, ItemFactory, OrganisationFactory, member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 740}}
COMMUNES = {"94028": 9, "94081": 4, "94068": 2, "94041": 1, "94017": 6}  # Créteil, Vitry, Saint-Maur, Ivry, Champigny


@pytest.fixture
def viewer(db):
    association = AssociationFactory(name="Recyclerie du Val")
    category = Category.objects.get(key="office-chair")
    today = timezone.localdate()
    for code, quantity in COMMUNES.items():
        giver = OrganisationFactory(commune=Commune.objects.get(insee=code))
        item = ItemFactory(owner=giver, category=category, quantity=quantity, status="gone")
        reservation = Reservation.objects.create(item=item, requester=association, quantity=quantity,
                                                 status="delivered")
        ImpactRecord.objects.create(
            reservation=reservation, kind="donation", date=today, quantity=quantity, kg=Decimal("11.9") * quantity,
            co2e_kg=Decimal("35.7") * quantity, value_eur=Decimal(150 * quantity), category=category, giver=giver,
            receiver=association, commune=giver.commune, giver_kind=giver.kind, receiver_kind=association.kind,
            unit_weight_kg=Decimal("11.9"), unit_co2e_kg=Decimal("35.7"), unit_value_eur=Decimal(150),
        )
        DeliveryFeedback.objects.create(reservation=reservation, people_helped=quantity * 3)
    return member(DepartmentFactory(), "viewer", username="agnes")


@pytest.mark.parametrize("screen", list(VIEWPORTS))
def test_the_map_of_the_communes_is_drawn_and_reached_with_the_keyboard(browser, live_server, viewer, shoot, screen):
    context = browser.new_context(viewport=VIEWPORTS[screen], locale="fr-FR")
    requested = []
    context.on("request", lambda request: requested.append(request.url))
    page = context.new_page()
    sign_in(page, live_server, "agnes", then="/dashboard/")

    communes = page.locator("#impact-map a.map-commune")
    expect(communes).to_have_count(47)
    map_box = page.locator("#impact-map").bounding_box()
    assert map_box["width"] > 300 and map_box["width"] <= VIEWPORTS[screen]["width"]
    expect(page.locator(".map-legend-title")).to_have_text("kg détournés des déchets")
    expect(page.locator("ul.map-legend li")).to_have_count(6)  # nothing, then five classes
    expect(page.locator(".map-figure figcaption")).to_contain_text("Licence Ouverte")
    expect(page.locator("#impact-map-caption")).to_contain_text("par commune")
    expect(page.locator("#kpis")).to_contain_text("Personnes aidées")
    expect(page.locator("#kpis .kpi", has_text="Personnes aidées").locator("dd")).to_contain_text("66")
    page.locator("#map-title").scroll_into_view_if_needed()
    shoot(page, "dashboard-map")

    # Tab from the map form's button into the map: the first commune link takes the focus.
    page.get_by_role("button", name="Afficher sur la carte").focus()
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused == "Ablon-sur-Seine : 0\u00a0kg"
    creteil = page.locator('#impact-map a[data-code="94028"]')
    creteil.focus()
    label = creteil.get_attribute("aria-label")
    assert label.startswith("Créteil : 107\u00a0kg")  # 9 × 11.9 = 107.1, shown whole
    page.keyboard.press("Enter")  # the link leads to the commune's row in the table
    page.wait_for_url("**#impact-map-94028")
    expect(page.locator("#impact-map-94028")).to_be_in_viewport()
    shoot(page, "commune-row")

    page.select_option("#id_measure", "items")
    page.select_option("#id_side", "receiver")
    page.get_by_role("button", name="Afficher sur la carte").click()
    page.wait_for_url("**measure=items**")
    # every receiver is the association, in Créteil: 9 + 4 + 2 + 1 + 6 units
    receiver_label = page.locator('#impact-map a[data-code="94028"]').get_attribute("aria-label")
    assert receiver_label.startswith("Créteil : 22 (")
    expect(page.locator('#impact-map a[data-code="94081"]')).to_have_attribute("aria-label", "Vitry-sur-Seine : 0")
    page.locator("#map-title").scroll_into_view_if_needed()
    shoot(page, "map-by-receiver")

    # Nothing was fetched from outside the app: no tile server.
    assert all(url.startswith(live_server.url) for url in requested), [u for u in requested if live_server.url not in u]
    context.close()


@pytest.mark.parametrize("screen", list(VIEWPORTS))
def test_the_reporting_pages_read_well_on_a_phone_and_a_desk(browser, live_server, viewer, shoot, screen):
    """The AGEC page (estimates said), the annual report with its map, and the needs map."""
    from tests.factories import NeedFactory

    college = OrganisationFactory(name="Collège Voltaire", kind="school", siret="19940010000012",
                                  commune=Commune.objects.get(insee="94081"))
    NeedFactory(organisation=college, quantity=5)
    page = browser.new_context(viewport=VIEWPORTS[screen], locale="fr-FR").new_page()
    sign_in(page, live_server, "agnes")

    page.goto(f"{live_server.url}/dashboard/agec/")
    expect(page.locator("h1")).to_contain_text("Déclaration AGEC")
    expect(page.get_by_role("heading", name="Organismes publics sans ligne cette année")).to_be_visible()
    shoot(page, "agec")

    page.goto(f"{live_server.url}/dashboard/report/{timezone.localdate().year}/")
    expect(page.locator("#impact-map a.map-commune")).to_have_count(47)
    expect(page.locator("#people-title")).to_be_visible()
    shoot(page, "report")

    page.goto(f"{live_server.url}/needs/")
    expect(page.locator('#needs-map a[data-code="94081"]')).to_have_attribute(
        "aria-label", "Vitry-sur-Seine : 1 (5 unités recherchées)")
    shoot(page, "needs-map")
