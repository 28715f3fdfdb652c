"""The API of shared equipment (API.md "Shared equipment — mutualisation (v1.1)"), and the admin."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from pypdf import PdfReader
from rest_framework.test import APIClient

from pooling import labels, selectors, services
from pooling.models import Booking
from tests.factories import OrganisationFactory, SharedItemFactory, image_bytes, member

from .conftest import day


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _book(client, item, start, end, **extra):
    return client.post(reverse("api:booking-list"), {"item": item.pk, "start": start.isoformat(),
                                                     "end": end.isoformat(), **extra}, format="json")


def test_post_books_then_409_names_the_clash(minibus, chairs, booker):
    client = api(booker)
    created = _book(client, minibus, day(1), day(3), purpose="Sortie")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "requested" and body["end"] == day(3).isoformat() and body["allowed_actions"] == ["cancel"]
    assert set(body) >= {"id", "item", "requester", "start", "end", "quantity", "status", "purpose", "allowed_actions"}
    clash = _book(client, minibus, day(2), day(4))
    assert clash.status_code == 409 and clash.json()["code"] == "booking_conflict"
    assert "Déjà réservé le 09/12/2026" in clash.json()["detail"]  # French by default
    assert _book(client, chairs, day(1), day(2), quantity=2).json()["status"] == "approved"  # auto-approved


def test_repeat_weeks_books_a_series_all_or_nothing(minibus, booker):
    client = api(booker)
    body = _book(client, minibus, day(1), day(2), repeat_weeks=2).json()
    assert body["series"] is not None
    series = client.get(reverse("api:booking-list"), {"series": body["series"]}).json()["results"]
    assert [b["start"] for b in series] == [day(1).isoformat(), day(8).isoformat(), day(15).isoformat()]
    refused = _book(client, minibus, day(0), day(2), repeat_weeks=3)
    assert refused.status_code == 409 and Booking.objects.count() == 3


@pytest.mark.parametrize(("payload", "field"), [
    ({"end": "2026-12-01"}, "end"), ({"quantity": 0}, "quantity"), ({"repeat_weeks": 99}, "repeat_weeks"),
    ({"start": "bientôt"}, "start"), ({"item": 999999}, "item"),
])
def test_bad_input_is_a_400_with_the_field(minibus, booker, payload, field):
    data = {"item": minibus.pk, "start": day(1).isoformat(), "end": day(2).isoformat(), **payload}
    response = api(booker).post(reverse("api:booking-list"), data, format="json")
    assert response.status_code == 400 and field in response.json()


def test_an_item_to_give_is_not_bookable(giver, booker):
    item = SharedItemFactory(owner=giver, mode="give")
    response = _book(api(booker), item, day(1), day(2))
    assert response.status_code == 400 and "item" in response.json()


def test_the_workflow_through_the_api(minibus, booker, staff):
    booking_id = _book(api(booker), minibus, day(0), day(2)).json()["id"]
    url = lambda action: reverse(f"api:booking-{action}", args=[booking_id])  # noqa: E731
    assert api(booker).post(url("approve")).status_code == 403
    approved = api(staff).post(url("approve")).json()
    assert approved["status"] == "approved" and approved["allowed_actions"] == ["check-out", "cancel"]
    assert api(booker).post(url("check-in")).json()["code"] == "invalid_transition"
    assert api(booker).post(url("check-out")).json()["status"] == "out"
    photo = io.BytesIO(image_bytes())
    photo.name = "retour.jpg"
    returned = api(booker).post(url("check-in"), {"condition_note": "RAS", "photo": photo}, format="multipart")
    assert returned.status_code == 200 and returned.json()["condition_note"] == "RAS"
    history = api(staff).get(reverse("api:booking-history", args=[booking_id])).json()
    assert [entry["reason"] for entry in history][:2] == ["Rendu : RAS", "Sorti"]
    assert history[0]["user"] is not None  # the owner's staff see who acted
    # a stranger does not see it at all
    assert api(member(OrganisationFactory())).get(reverse("api:booking-detail", args=[booking_id])).status_code == 404


def test_decline_and_cancel_take_a_reason(minibus, booker, staff):
    first = _book(api(booker), minibus, day(1), day(2)).json()["id"]
    declined = api(staff).post(reverse("api:booking-decline", args=[first]), {"reason": "Révision"}, format="json")
    assert declined.json()["status"] == "declined" and declined.json()["reason"] == "Révision"
    second = _book(api(booker), minibus, day(1), day(2)).json()["id"]
    too_long = api(booker).post(reverse("api:booking-cancel", args=[second]), {"reason": "x" * 1001}, format="json")
    assert too_long.status_code == 400
    assert api(booker).post(reverse("api:booking-cancel", args=[second])).json()["status"] == "cancelled"


def test_availability_gives_dates_and_units_but_no_names(minibus, school, booker, staff):
    services.booking_create(actor=booker, item=minibus, requester=school, start=day(1), end=day(3))
    [declined] = services.booking_create(actor=booker, item=minibus, requester=school, start=day(5), end=day(6))
    services.booking_decline(actor=staff, booking=declined)
    stranger = member(OrganisationFactory())
    body = api(stranger).get(reverse("api:item-availability", args=[minibus.pk]),
                             {"from": day(0).isoformat(), "to": day(10).isoformat()}).json()
    assert body == {"quantity": 1, "bookings": [
        {"start": day(1).isoformat(), "end": day(3).isoformat(), "quantity": 1, "status": "requested"}]}
    bad = api(stranger).get(reverse("api:item-availability", args=[minibus.pk]), {"from": "2026-12-10",
                                                                                  "to": "2026-12-01"})
    assert bad.status_code == 400


def test_items_say_their_mode_and_rules_and_the_owner_changes_them(minibus, giver, staff, booker):
    body = api(booker).get(reverse("api:item-detail", args=[minibus.pk])).json()
    assert body["mode"] == "shared" and body["booking_rules"]["max_days"] == 7
    patched = api(staff).patch(reverse("api:item-detail", args=[minibus.pk]),
                               {"booking_rules": {"auto_approve": True, "lead_days": 2}}, format="json")
    assert patched.status_code == 200, patched.json()
    assert patched.json()["booking_rules"] == {"auto_approve": True, "max_days": 7, "lead_days": 2,
                                               "audience": "members", "organisations": []}
    draft = api(staff).post(reverse("api:item-list"), {
        "title": "Barnum 3×6", "category": minibus.category_id, "condition": "good", "mode": "shared",
        "booking_rules": {"auto_approve": False, "max_days": 3, "lead_days": 1}}, format="json")
    assert draft.status_code == 201 and draft.json()["booking_rules"]["max_days"] == 3
    assert api(staff).patch(reverse("api:item-detail", args=[minibus.pk]), {"mode": "give"},
                            format="json").json()["code"] == "mode_locked"


def test_labels_are_a4_pdfs_for_the_owners_staff(minibus, giver, staff, booker, settings):
    settings.REBOND_SITE_URL = "https://rebond.val-de-marne.fr"
    response = api(staff).get(reverse("api:item-label", args=[minibus.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    page = PdfReader(io.BytesIO(response.content)).pages[0]
    assert abs(float(page.mediabox.width) - 595.3) < 1 and minibus.title in page.extract_text()
    code = minibus.label.code
    assert code in page.extract_text()
    assert labels.label_url(code) == f"https://rebond.val-de-marne.fr/s/{code}"

    many = [minibus] + [SharedItemFactory(owner=giver) for _ in range(15)]
    sheet = api(staff).get(reverse("api:labels"), {"items": ",".join(str(i.pk) for i in many)})
    assert len(PdfReader(io.BytesIO(sheet.content)).pages) == 2  # 15 labels a sheet
    assert api(booker).get(reverse("api:item-label", args=[minibus.pk])).status_code == 403
    assert api(staff).get(reverse("api:labels"), {"items": "1,a"}).status_code == 400
    assert api(staff).get(reverse("api:labels"), {"items": "999999"}).status_code == 400


def test_without_a_site_url_the_label_address_comes_from_the_request(minibus, staff, settings):
    settings.REBOND_SITE_URL = ""
    from django.test import RequestFactory

    request = RequestFactory().get("/", HTTP_HOST="testserver")
    code = services.label_for(minibus).code
    assert labels.label_url(code, request) == f"http://testserver/s/{code}"


def test_allowed_actions_are_decided_in_constant_queries(minibus, school, booker, django_assert_num_queries):
    for n in range(4):
        services.booking_create(actor=booker, item=minibus, requester=school, start=day(n), end=day(n + 1))
    client = api(booker)
    client.get(reverse("api:booking-list"))  # warm the serializer's field prototypes
    with django_assert_num_queries(4):  # the scope's département check, count, page, memberships
        bookings = client.get(reverse("api:booking-list")).json()["results"]
    assert len(bookings) == 4 and all(b["allowed_actions"] == ["cancel"] for b in bookings)
    assert selectors.booking_actions(booker, Booking.objects.first()) == ["cancel"]


#
# Admin
#
@pytest.fixture
def admin_client_(client, db):
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "rebond-admin")
    client.force_login(admin)
    return client


def test_the_admin_lists_bookings_with_history_and_moves_them_by_the_services(admin_client_, minibus, school,
                                                                               booker):
    [booking] = services.booking_create(actor=booker, item=minibus, requester=school, start=day(1), end=day(2))
    for model in ("booking", "bookingrules", "label"):
        assert admin_client_.get(reverse(f"admin:pooling_{model}_changelist")).status_code == 200
    change = admin_client_.get(reverse("admin:pooling_booking_change", args=[booking.pk])).content.decode()
    assert 'name="status"' not in change
    admin_client_.post(reverse("admin:pooling_booking_changelist"),
                       {"action": "approve", "_selected_action": [booking.pk]})
    booking.refresh_from_db()
    assert booking.status == "approved"
    history = admin_client_.get(reverse("admin:pooling_booking_history", args=[booking.pk])).content.decode()
    assert "Approved" in history or "Acceptée" in history or "Accepté" in history
