"""The impact dashboard in a real browser: a département viewer opens it, changes the period,
and the charts (Chart.js, from our static files) are drawn under the Content-Security-Policy."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from exchange.models import ImpactRecord, Reservation
from inventory.models import Category, Commune, Organisation
from tests.factories import AssociationFactory, DepartmentFactory, ItemFactory, OrganisationFactory, member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
PASSWORD = "rebond-test"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 740}}

# What a canvas holds, compared with a blank canvas of the same size (function argument, no eval of strings).
CANVAS_INK = """(canvases) => canvases.map((canvas) => {
  const blank = document.createElement("canvas");
  blank.width = canvas.width;
  blank.height = canvas.height;
  return {id: canvas.id, width: canvas.width, height: canvas.height,
          drawn: canvas.toDataURL().length > blank.toDataURL().length + 500};
})"""


def _record(giver, receiver, category, day, quantity):
    published = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))
    item = ItemFactory(owner=giver, category=category, quantity=quantity, status="gone", published_at=published)
    reservation = Reservation.objects.create(
        item=item, requester=receiver, quantity=quantity, status="delivered",
        collected_at=published + datetime.timedelta(days=day.day % 7 + 1),
    )
    ImpactRecord.objects.create(
        reservation=reservation, kind="donation", date=day, quantity=quantity,
        kg=Decimal(12 * quantity), co2e_kg=Decimal(30 * quantity), value_eur=Decimal(150),
        category=category, giver=giver, receiver=receiver, commune=giver.commune, giver_kind=giver.kind,
        receiver_kind=receiver.kind, beneficiary=["seniors", "families", ""][day.day % 3],
        unit_weight_kg=Decimal(12), unit_co2e_kg=Decimal(30), unit_value_eur=Decimal(150),
    )


@pytest.fixture
def viewer(db):
    association = AssociationFactory(name="Recyclerie du Val")
    givers = [
        OrganisationFactory(name="EHPAD Les Tilleuls", commune=Commune.objects.get(insee="94028")),
        OrganisationFactory(name="Collège Voltaire", kind="school", commune=Commune.objects.get(insee="94081")),
    ]
    categories = list(Category.objects.filter(key__in=["office-chair", "desk-table", "bed"]))
    for n in range(30):
        _record(givers[n % 2], association, categories[n % 3], datetime.date(2025 + n // 15, 1 + n % 12, 1 + n),
                1 + n % 4)
    return member(DepartmentFactory(), "viewer", username="agnes")


@pytest.mark.parametrize("screen", list(VIEWPORTS))
def test_a_viewer_changes_the_period_and_sees_the_charts(browser, live_server, viewer, shoot, screen):
    page = browser.new_context(viewport=VIEWPORTS[screen], locale="fr-FR").new_page()
    page.goto(f"{live_server.url}/dashboard/")
    page.fill("#id_username", "agnes")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/dashboard/")

    # this year by default, then the whole of 2025 through the form
    page.fill("#id_date_from", "2025-01-01")
    page.fill("#id_date_to", "2025-12-31")
    page.get_by_role("button", name="Afficher", exact=True).click()
    page.wait_for_url("**/dashboard/?date_from=2025-01-01&date_to=2025-12-31")
    expect(page.locator("#kpis .kpi").first).to_be_visible()
    expect(page.locator("#by-category-canvas")).to_be_visible()

    canvases = page.eval_on_selector_all("canvas[data-source]", CANVAS_INK)
    assert [c["id"] for c in canvases] == [
        "trend-canvas", "by-category-canvas", "by-commune-canvas", "by-kind-canvas", "by-beneficiary-canvas"]
    for canvas in canvases:
        assert canvas["width"] > 0 and canvas["height"] > 0 and canvas["drawn"], canvas
    # 2025 holds records 0-14: units 1+2+3+4 repeated → 1,2,3,4,1,2,3,4,1,2,3,4,1,2,3 = 36 units
    expect(page.locator("#kpis .kpi dd").first).to_have_text("36")
    shoot(page, "dashboard-2025")

    page.locator(".period .chips a").first.click()  # the "this year" preset
    page.wait_for_url("**/dashboard/?date_from=*")
    expect(page.locator("#by-commune-canvas")).to_be_visible()
    items_reused = page.locator("#kpis .kpi dd").first
    before = int(items_reused.inner_text().replace("\u202f", "").replace("\xa0", "").replace(" ", ""))

    # live totals: a donation is delivered; the event re-reads the KPI cards (here dispatched by
    # hand: the live server speaks no WebSocket; tests/e2e/test_live.py covers the socket)
    giver, receiver = Organisation.objects.exclude(kind="department").order_by("pk")[:2]
    _record(giver, receiver, Category.objects.get(key="bed"), timezone.localdate(), 4)
    page.evaluate("() => document.body.dispatchEvent(new CustomEvent('rebond:impact.recorded', {bubbles: true}))")
    expect(items_reused).to_have_text(str(before + 4))
    shoot(page, "dashboard-this-year")

    page.goto(f"{live_server.url}/methodology/")
    expect(page.locator(".basis-estimate").first).to_be_visible()
    shoot(page, "methodology")

    page.goto(f"{live_server.url}/dashboard/report/2025/")
    expect(page.locator("#trend-canvas")).to_be_visible()
    shoot(page, "report-2025")
    page.set_viewport_size({"width": 794, "height": 1123})  # an A4 page at 96 dpi
    page.emulate_media(media="print")
    shoot(page, "report-2025-print", check_a11y=False)
