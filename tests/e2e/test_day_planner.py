"""The coordinator plans a day in a real browser, on a desk and on a phone: the approved
claims of four givers, two vehicles, "Plan the day"; the map (inline SVG, no internet),
reached by keyboard; the route sheet. Every page is screenshot and checked with axe-core."""

from datetime import timedelta

import pytest
from django.utils import timezone

from exchange import services
from exchange.models import Reservation, Tour, Vehicle
from inventory.models import Commune
from tests.factories import AssociationFactory, AvailableItemFactory, OrganisationFactory, member

pytestmark = pytest.mark.e2e
day_db = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "rebond-test"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 740}}
GIVERS = [("94080", "EHPAD Les Charmes"), ("94017", "Collège Paul Bert"), ("94041", "EHPAD Jeanne Garnier"),
          ("94034", "Collège Frédéric Mistral")]


@pytest.fixture
def day_setup(db, settings):
    settings.REBOND_PLANNER_SECONDS = 0.3
    association = AssociationFactory(name="Recyclerie du Val", address="5 avenue du Général de Gaulle")
    coordinator = member(association, "coordinator", username="sophie", first_name="Sophie", last_name="Leroy")
    volunteer = member(association, "volunteer", username="karim", first_name="Karim", last_name="Benali")
    Vehicle.objects.create(organisation=association, name="Master", capacity_kg=900, capacity_m3=9)
    Vehicle.objects.create(organisation=association, name="Kangoo", capacity_kg=350, capacity_m3=3)
    claims = []
    for code, name in GIVERS:
        commune = Commune.objects.get(insee=code)
        giver = OrganisationFactory(name=name, commune=commune, postcode=commune.postcode, address="1 rue de la Paix",
                                    contact_name="Accueil", contact_phone="01 48 00 00 00")
        staff = member(giver, "staff")
        item = AvailableItemFactory(owner=giver, quantity=4, title=f"Chaises ({commune.name})")
        claim = services.reservation_create(actor=volunteer, item=item, requester=association, quantity=4)
        claims.append(services.reservation_approve(actor=staff, reservation=claim))
    return {"association": association, "coordinator": coordinator, "volunteer": volunteer, "claims": claims}


@day_db
@pytest.mark.parametrize("screen", list(VIEWPORTS))
def test_the_coordinator_plans_a_day(browser, live_server, day_setup, shoot, screen):
    day = timezone.localdate() + timedelta(days=1)
    context = browser.new_context(viewport=VIEWPORTS[screen], locale="fr-FR")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "sophie")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/planner/?date={day.isoformat()}")
    assert page.locator("#plan-form input[name=givers]").count() == 4
    page.locator("#plan-form details summary").first.click()
    page.get_by_label("Karim Benali").first.check()
    shoot(page, "day-to-plan")
    page.click("#plan-form button[type=submit]")
    page.wait_for_selector(".message.success")

    tours = list(Tour.objects.all())
    assert tours and sum(t.pickups.count() for t in tours) == 4
    assert Reservation.objects.filter(status=Reservation.Status.SCHEDULED).count() == 4
    svg = page.locator("svg.map")
    assert svg.locator("path").count() == 47
    assert svg.locator("a.stop").count() == 4
    assert page.locator(".route-list ol.stops li").count() == 4
    shoot(page, "day-map")

    # Keyboard: a stop on the map is a link reached with Tab and followed with Enter to its line in the list.
    first = svg.locator("a.stop").first
    first.focus()
    assert page.evaluate("document.activeElement.classList.contains('stop')")
    page.keyboard.press("Enter")
    anchor = page.evaluate("location.hash")
    assert anchor.startswith("#stop-") and page.locator(f"li{anchor}").count() == 1

    link = page.locator("a[href^='https://www.google.com/maps/dir/']").first.get_attribute("href")
    assert "waypoints=" in link

    page.locator("a", has_text="Feuille de route").first.click()
    page.wait_for_selector(".stops-table")
    body = page.content()
    for claim in day_setup["claims"]:
        claim.refresh_from_db()
        assert claim.handover_code not in body
    shoot(page, "route-sheet")
    context.close()
