"""Shared equipment in a real browser on a phone (375 px): a school books a minibus from its
calendar, sees a conflict explained before sending, books free days, checks the minibus out
by scanning its QR label with the camera (Chromium's fake camera plays a video made here from
the label's own QR code) and checks it in with a photo. Every page is screenshot and checked
with axe-core."""

import io
import re
from datetime import timedelta

import pytest
import segno
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from inventory import services as inventory_services
from inventory.models import Membership, Organisation
from pooling import services
from pooling.models import Booking, BookingRules
from tests.factories import OrganisationFactory, SharedItemFactory, image_bytes, member, upload

from .conftest import CHROMIUM, CSP_RECORDER

pytestmark = pytest.mark.e2e
PASSWORD = "rebond-test"
PHONE = {"width": 375, "height": 740}


def label_video(url: str, path) -> None:
    """An MJPEG file (Chromium's fake camera plays it in a loop) showing the QR code of ``url``
    on a sheet of paper, as a phone held over a printed label would see it."""
    qr = io.BytesIO()
    segno.make(url, error="q").save(qr, kind="png", scale=8, border=4)
    code = Image.open(qr).convert("RGB")
    frame = Image.new("RGB", (640, 480), (236, 236, 230))
    frame.paste(code, ((640 - code.width) // 2, (480 - code.height) // 2))
    jpeg = io.BytesIO()
    frame.save(jpeg, "JPEG", quality=90)
    path.write_bytes(jpeg.getvalue() * 30)


@pytest.fixture
def camera_browser(browser_type, tmp_path_factory):
    """A Chromium whose camera is a file, its permission prompt answered yes."""
    browsers = []

    def launch(video):
        browser = browser_type.launch(
            executable_path=CHROMIUM, headless=True,
            args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
            ],
        )
        browsers.append(browser)
        return browser

    yield launch
    for browser in browsers:
        browser.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_book_scan_out_and_check_in_on_a_phone(camera_browser, live_server, shoot, tmp_path):
    # Given a minibus shared by a care home, approved automatically when free, already booked
    # by the town hall on days 3 and 4 from now
    today = timezone.localdate()
    giver = OrganisationFactory(name="EHPAD Les Tilleuls")
    staff = member(giver, Membership.Role.STAFF, username="claire")
    minibus = SharedItemFactory(owner=giver, title="Minibus 9 places", quantity=1)
    inventory_services.photo_add(actor=staff, item=minibus, upload=upload())
    BookingRules.objects.create(item=minibus, auto_approve=True, max_days=7)
    town = OrganisationFactory(name="Mairie de Créteil", legal_status=Organisation.LegalStatus.PUBLIC_BODY)
    services.booking_create(actor=member(town), item=minibus, requester=town, start=today + timedelta(days=3),
                            end=today + timedelta(days=5))
    school = OrganisationFactory(name="Collège Jean Moulin", kind=Organisation.Kind.SCHOOL)
    member(school, Membership.Role.STAFF, username="nadia", first_name="Nadia")
    label = services.label_for(minibus)
    video = tmp_path / "label.mjpeg"
    label_video(f"{live_server.url}/s/{label.code}", video)

    browser = camera_browser(video)
    context = browser.new_context(viewport=PHONE, locale="fr-FR")
    context.add_init_script(CSP_RECORDER)
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    page.fill("#id_username", "nadia")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/")

    # The school finds the minibus under "À partager" and opens its calendar
    page.goto(f"{live_server.url}/catalogue/?mode=shared")
    shoot(page, "catalogue-to-share")
    page.click(f"a[href='/shared/{minibus.pk}/']")
    page.wait_for_url(re.compile(rf".*/shared/{minibus.pk}/$"))
    expect(page.locator("#calendar")).to_be_visible()
    shoot(page, "calendar")

    def choose(day):
        """Click the day in the month view (moving to the next month when it is there)."""
        button = page.locator(f"#calendar [data-day='{day.isoformat()}']")
        if button.count() == 0:
            page.click("#calendar a[rel=next]")
            button = page.locator(f"#calendar [data-day='{day.isoformat()}']")
        button.click()

    # A booked day is shown as such, and the form explains the clash before sending
    booked = page.locator(f"#calendar [data-day='{(today + timedelta(days=3)).isoformat()}']")
    if booked.count():
        expect(booked).to_have_accessible_name(re.compile(r"réservé\s*, \w+ \d+ \w+"))
    choose(today + timedelta(days=2))
    choose(today + timedelta(days=4))
    verdict = page.locator("#verdict")
    expect(verdict).to_have_attribute("data-code", "booking_conflict")
    clash_day = (today + timedelta(days=3)).strftime("%d/%m/%Y")
    expect(verdict).to_contain_text(f"Déjà réservé le {clash_day}")
    shoot(page, "conflict-explained")

    # Keyboard: from the first day chosen, the arrow keys move between days
    page.locator(f"#calendar [data-day='{today.isoformat()}']").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    expect(page.locator("#id_start")).to_have_value(today.isoformat())
    expect(page.locator("#id_last_day")).to_have_value((today + timedelta(days=1)).isoformat())
    expect(verdict).to_contain_text("Ces jours sont libres")
    shoot(page, "free-days-chosen")
    page.click(".booking-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/bookings/\?side=mine$"))
    expect(page.locator(".message.success")).to_contain_text("Réservé")
    booking = Booking.objects.get(requester=school)
    assert (booking.status, booking.start, booking.end) == ("approved", today, today + timedelta(days=2))
    shoot(page, "my-bookings")

    # At the care home, the school's driver scans the label with the phone's camera
    page.goto(f"{live_server.url}/scan/")
    shoot(page, "scan-page")
    page.click("[data-scan-start]")
    page.wait_for_url(re.compile(rf".*/shared/{minibus.pk}/$"), timeout=20_000)
    today_section = page.locator("#today")
    expect(today_section.locator("[data-action='check-out']")).to_be_visible()
    shoot(page, "label-scanned")
    today_section.locator("[data-action='check-out'] button").click()
    expect(page.locator(".message.success")).to_contain_text("Sortie enregistrée")
    assert Booking.objects.get(pk=booking.pk).status == "out"

    # Back at the care home: check-in with a note and a photo of the minibus
    photo = tmp_path / "retour.jpg"
    photo.write_bytes(image_bytes(size=(1200, 900), color=(90, 120, 160)))
    check_in = page.locator("#today [data-action='check-in']")
    expect(check_in).to_have_attribute("open", "")
    check_in.locator("textarea[name=condition_note]").fill("Propre, plein fait")
    check_in.locator("input[type=file]").set_input_files(str(photo))
    shoot(page, "check-in-form")
    check_in.locator("button[type=submit]").click()
    expect(page.locator(".message.success")).to_contain_text("Retour enregistré")
    booking.refresh_from_db()
    assert booking.status == "returned" and booking.condition_note == "Propre, plein fait"
    assert booking.return_photo.name.endswith(".jpg")
    shoot(page, "checked-in")
    context.close()

    # On a desk, the owner's staff see the bookings of their item, its rules and the dashboard
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    desk.add_init_script(CSP_RECORDER)
    owner = desk.new_page()
    owner.goto(f"{live_server.url}/")
    owner.fill("#id_username", "claire")
    owner.fill("#id_password", PASSWORD)
    owner.click("button[type=submit].primary")
    owner.wait_for_url(f"{live_server.url}/")
    owner.goto(f"{live_server.url}/shared/{minibus.pk}/")
    expect(owner.locator(".rules-form")).to_be_visible()
    expect(owner.locator("[data-label-link]")).to_have_attribute("href", f"/api/v1/items/{minibus.pk}/label.pdf")
    shoot(owner, "desk-owner-calendar")
    owner.goto(f"{live_server.url}/bookings/?side=items")
    expect(owner.locator(f"#booking-{booking.pk}")).to_contain_text("Rendu")
    shoot(owner, "desk-bookings-of-our-items")
    desk.close()
