"""The pages of shared equipment: the catalogue's "À partager", the calendar with the booking
form and its check, "my bookings" for both sides with exactly the allowed buttons, the
labels that open an item, the camera page."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from inventory.models import Membership
from pooling import selectors, services
from pooling.models import Booking
from tests.factories import ItemFactory, image_bytes, member, upload

from .conftest import day

Role = Membership.Role


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _french():
    """The pages in French (the default), whatever the conftest's English messages."""
    from django.utils import translation

    with translation.override("fr"):
        yield


def test_the_catalogue_keeps_shared_items_in_their_own_section(minibus, giver, booker):
    to_give = ItemFactory(owner=giver, status="available", title="Armoire métallique")
    client = signed_in(booker)
    give = client.get(reverse("catalogue")).content.decode()
    shared = client.get(reverse("catalogue") + "?mode=shared").content.decode()
    assert to_give.title in give and minibus.title not in give
    assert minibus.title in shared and to_give.title not in shared
    assert "À partager" in shared and f'href="/shared/{minibus.pk}/"' in shared
    # the item's ordinary page leads to its calendar
    assert client.get(reverse("item_detail", args=[minibus.pk])).url == reverse("shared_item", args=[minibus.pk])


def test_the_calendar_marks_free_and_booked_days_with_a_table_equivalent(minibus, school, booker):
    services.booking_create(actor=booker, item=minibus, requester=school, start=day(2), end=day(4))
    page = signed_in(booker).get(reverse("shared_item", args=[minibus.pk])).content.decode()
    assert 'data-day="2026-12-09"' in page
    cell = re.search(r'<td class="day (\w+)[^"]*">\s*<button[^>]*data-day="2026-12-09"[^>]*>(.*?)</button>', page,
                     re.DOTALL)
    name = re.sub(r"<[^>]+>|\s+", " ", cell.group(2)).split()  # the button's text, hidden parts included
    assert cell.group(1) == "full" and " ".join(name) == "9 réservé , mercredi 9 décembre"
    free = re.search(r'<td class="day (\w+)[^"]*">\s*<button[^>]*data-day="2026-12-12"', page)
    assert free.group(1) == "free"
    assert '<td class="day past' in page  # the days gone by are not offered
    table = page[page.index('class="calendar-table"'):]
    assert "mercredi 9 décembre" in table and "jeudi 10 décembre" in table and "Demandé" in table
    assert 'id="id_start"' in page and f'hx-get="/shared/{minibus.pk}/check/"' in page


def test_the_month_moves_and_answers_as_a_fragment_to_htmx(minibus, booker):
    client = signed_in(booker)
    page = client.get(reverse("shared_item", args=[minibus.pk]) + "?month=2027-01",
                      HTTP_HX_REQUEST="true", HTTP_HX_TARGET="calendar").content.decode()
    assert page.lstrip().startswith('<section class="card calendar" id="calendar"')
    assert "Janvier 2027" in page and 'data-day="2027-01-31"' in page


def test_the_form_explains_a_conflict_before_it_is_sent(minibus, school, booker):
    other = member(minibus.owner.__class__.objects.create(
        name="Mairie de Créteil", kind="other", legal_status="public_body", address="Place", postcode="94000",
        commune=minibus.owner.commune), Role.STAFF)
    services.booking_create(actor=other, item=minibus, requester=other.memberships.get().organisation,
                            start=day(3), end=day(5))
    client = signed_in(booker)
    check = reverse("booking_check", args=[minibus.pk])
    clash = client.get(check, {"start": day(1).isoformat(), "last_day": day(4).isoformat(), "quantity": 1,
                               "repeat_weeks": 0}).content.decode()
    assert 'data-code="booking_conflict"' in clash and "Déjà réservé le 10/12/2026" in clash
    free = client.get(check, {"start": day(5).isoformat(), "last_day": day(6).isoformat(), "quantity": 1}).content
    assert "Ces jours sont libres" in free.decode()
    too_long = client.get(check, {"start": day(5).isoformat(), "last_day": day(15).isoformat()}).content.decode()
    assert 'data-code="too_long"' in too_long
    wrong = client.get(check, {"start": "demain"}).content.decode()
    assert 'data-code="invalid"' in wrong


def test_booking_from_the_form_then_both_sides_see_it(minibus, school, booker, staff):
    client = signed_in(booker)
    response = client.post(reverse("booking_create", args=[minibus.pk]), {
        "start": day(1).isoformat(), "last_day": day(2).isoformat(), "quantity": 1, "repeat_weeks": 0,
        "purpose": "Sortie au musée",
    })
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert (booking.start, booking.end, booking.purpose) == (day(1), day(3), "Sortie au musée")
    mine = client.get(reverse("my_bookings") + "?side=mine").content.decode()
    assert minibus.title in mine and 'data-action="cancel"' in mine and 'data-action="approve"' not in mine
    theirs = signed_in(staff).get(reverse("my_bookings") + "?side=items").content.decode()
    assert 'data-action="approve"' in theirs and 'data-action="decline"' in theirs
    # a refused booking comes back to the form with the reason
    again = client.post(reverse("booking_create", args=[minibus.pk]), {
        "start": day(2).isoformat(), "last_day": day(2).isoformat(), "quantity": 1})
    assert again.status_code == 400 and "Déjà réservé le 09/12/2026" in again.content.decode()


@pytest.mark.parametrize("status", ["requested", "approved", "out", "returned", "cancelled"])
def test_the_buttons_are_exactly_the_allowed_actions(minibus, school, booker, staff, status):
    [booking] = services.booking_create(actor=booker, item=minibus, requester=school, start=day(0), end=day(2))
    if status == "cancelled":
        services.booking_cancel(actor=booker, booking=booking)
    elif status != "requested":
        services.booking_approve(actor=staff, booking=booking)
        if status in ("out", "returned"):
            services.booking_check_out(actor=booker, booking=booking)
        if status == "returned":
            services.booking_check_in(actor=booker, booking=booking)
    booking.refresh_from_db()
    for user, side in ((booker, "mine"), (staff, "items")):
        page = signed_in(user).get(reverse("my_bookings") + f"?side={side}").content.decode()
        section = page[page.index(f'id="booking-{booking.pk}"'):]
        section = section[:section.index("</li>")]
        shown = re.findall(r'data-action="([a-z-]+)"', section)
        assert shown == selectors.booking_actions(user, booking), (user, status)


def test_check_out_and_in_from_the_page_with_a_photo(minibus, school, booker, staff):
    [booking] = services.booking_create(actor=booker, item=minibus, requester=school, start=day(0), end=day(1))
    services.booking_approve(actor=staff, booking=booking)
    client = signed_in(booker)
    page = client.get(reverse("shared_item", args=[minibus.pk])).content.decode()
    assert 'id="today"' in page and 'data-action="check-out"' in page
    client.post(reverse("booking_action", args=[booking.pk, "check-out"]))
    assert Booking.objects.get().status == "out"
    client.post(reverse("booking_action", args=[booking.pk, "check-in"]), {
        "condition_note": "Propre", "photo": upload("retour.png", image_bytes("PNG"), "image/png")})
    booking.refresh_from_db()
    assert booking.status == "returned" and booking.condition_note == "Propre" and booking.return_photo
    # a damaged photo is a message, not a 500
    [other] = services.booking_create(actor=booker, item=minibus, requester=school, start=day(1), end=day(2))
    assert client.post(reverse("booking_action", args=[other.pk, "nope"])).status_code == 404


def test_a_label_opens_the_item_for_a_member_and_the_sign_in_first_for_others(minibus, booker):
    label = services.label_for(minibus)
    url = reverse("label_open", args=[label.code])
    assert url == f"/s/{label.code}"
    assert signed_in(booker).get(url).url == reverse("shared_item", args=[minibus.pk])
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("login"))
    assert signed_in(booker).get("/s/unknowncode").status_code == 404


def test_the_scan_page_loads_its_decoder_and_takes_a_typed_code(minibus, booker):
    client = signed_in(booker)
    page = client.get(reverse("scan")).content.decode()
    assert "/static/frontend/vendor/jsQR-1.4.0.js" in page and "data-scan-start" in page
    code = services.label_for(minibus).code
    assert client.get(reverse("scan"), {"code": code}).url == f"/s/{code}"
    assert "Aucune étiquette" in client.get(reverse("scan"), {"code": "zzz"}, follow=True).content.decode()


def test_the_owner_sets_the_rules_on_the_page(minibus, staff, booker):
    url = reverse("booking_rules", args=[minibus.pk])
    signed_in(staff).post(url, {"auto_approve": "on", "max_days": 3, "lead_days": 2, "audience": "members"})
    minibus.booking_rules.refresh_from_db()
    assert (minibus.booking_rules.auto_approve, minibus.booking_rules.max_days) == (True, 3)
    assert signed_in(booker).post(url, {"max_days": 30, "lead_days": 0, "audience": "members"}).status_code == 403


def test_the_calendar_and_my_bookings_cost_the_same_with_more_bookings(minibus, school, booker, staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in(booker)

    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    services.booking_create(actor=booker, item=minibus, requester=school, start=day(1), end=day(2))
    few = [queries(reverse("shared_item", args=[minibus.pk])), queries(reverse("my_bookings"))]
    for n in range(2, 12):
        [booking] = services.booking_create(actor=booker, item=minibus, requester=school, start=day(n),
                                            end=day(n + 1))
        if n % 2:
            services.booking_approve(actor=staff, booking=booking)
    many = [queries(reverse("shared_item", args=[minibus.pk])), queries(reverse("my_bookings"))]
    assert many == few
