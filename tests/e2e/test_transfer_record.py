"""At the door, on a phone (375 px): the volunteer types the handover code, the giver's staff
signs on the canvas, the pickup is confirmed; then the transfer record is downloaded and its
PDF text holds the parties, the inventory number and the legal basis."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from pypdf import PdfReader

from exchange import services
from exchange.models import Reservation, TransferRecord
from tests.factories import AssociationFactory, AvailableItemFactory, OrganisationFactory, member

pytestmark = pytest.mark.e2e
PASSWORD = "rebond-test"
PHONE = {"width": 375, "height": 740}


@pytest.fixture
def scheduled(db):
    giver = OrganisationFactory(name="EHPAD Les Tilleuls", address="3 rue des Écoles")
    association = AssociationFactory(name="Recyclerie du Val")
    staff = member(giver, "staff", username="claire")
    volunteer = member(association, "volunteer", username="karim", first_name="Karim")
    coordinator = member(association, "coordinator", username="sophie")
    item = AvailableItemFactory(owner=giver, title="Armoires vestiaires", quantity=2, inventory_number="INV-2018-0311",
                                unit_value_eur=Decimal("120"))
    reservation = services.reservation_create(actor=volunteer, item=item, requester=association, quantity=2)
    reservation = services.reservation_approve(actor=staff, reservation=reservation)
    start = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
    services.pickup_create(actor=coordinator, reservations=[reservation], window_start=start,
                           window_end=start + timedelta(hours=2), volunteers=[volunteer])
    reservation.refresh_from_db()
    return reservation


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sign_at_the_door_and_download_the_record(browser, live_server, scheduled, shoot, tmp_path):
    context = browser.new_context(viewport=PHONE, locale="fr-FR", accept_downloads=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    page.fill("#id_username", "karim")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/")

    day = timezone.localtime(scheduled.pickup.window_start).date().isoformat()
    page.goto(f"{live_server.url}/pickups/?date={day}")
    page.fill(f"#code-{scheduled.pk}", scheduled.handover_code)
    canvas = page.locator(f"canvas[data-signature-for='sign-{scheduled.pk}']")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box["width"] <= PHONE["width"]
    # A signature: two strokes drawn with the mouse.
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] * 0.7)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 20, box["y"] + box["height"] * (0.7 - 0.4 * (step % 2)), steps=3)
    page.mouse.up()
    page.mouse.move(box["x"] + 40, box["y"] + box["height"] * 0.85)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] - 30, box["y"] + box["height"] * 0.8, steps=8)
    page.mouse.up()
    assert page.input_value(f"#sign-{scheduled.pk}").startswith("data:image/png;base64,")
    shoot(page, "signed")

    page.click(f"form[action$='/reservations/{scheduled.pk}/collect/'] button[type=submit].primary")
    page.wait_for_selector(".message.success")  # sent through the phone's queue (rebond-road.js)
    scheduled.refresh_from_db()
    assert scheduled.status == Reservation.Status.COLLECTED
    record = TransferRecord.objects.get(reservation=scheduled)
    assert record.signature.size > 500  # the drawn strokes, not an empty canvas

    page.goto(f"{live_server.url}/reservations/?tab=active")
    shoot(page, "record-link")
    with page.expect_download() as download_info:
        page.click("a.transfer-record-link")
    path = tmp_path / "record.pdf"
    download_info.value.save_as(path)

    text = "\n".join(p.extract_text() for p in PdfReader(str(path)).pages)
    for expected in ("EHPAD Les Tilleuls", "Recyclerie du Val", "INV-2018-0311", "CG3P art. L3212-2, 2°",
                     record.number):
        assert expected in text, expected
    context.close()
