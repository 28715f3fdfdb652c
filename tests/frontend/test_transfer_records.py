"""Collecting with a signature on the pickups page, downloading the transfer record, the
accountant's CSV and the API's collect with a signature."""

import base64
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader
from rest_framework.test import APIClient

from exchange import services, transfers
from exchange.models import Reservation, TransferRecord
from tests.factories import AvailableItemFactory, OrganisationFactory, image_bytes, member

from .conftest import signed_in

SIGNATURE = transfers.SIGNATURE_PREFIX + base64.b64encode(image_bytes("PNG", size=(600, 200))).decode()


@pytest.fixture
def scheduled(giver, staff, association, volunteer, coordinator):
    item = AvailableItemFactory(owner=giver, quantity=2, inventory_number="INV-77", title="Bureaux")
    reservation = services.reservation_create(actor=volunteer, item=item, requester=association, quantity=1)
    reservation = services.reservation_approve(actor=staff, reservation=reservation)
    start = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0)
    services.pickup_create(actor=coordinator, reservations=[reservation], window_start=start,
                           window_end=start + timedelta(hours=2), volunteers=[volunteer])
    reservation.refresh_from_db()
    return reservation


def test_pickups_page_has_a_signature_pad_and_no_inline_script(volunteer_client, scheduled):
    day = timezone.localtime(scheduled.pickup.window_start).date()
    body = volunteer_client.get(reverse("my_pickups"), {"date": day.isoformat()}).content.decode()

    assert f'data-signature-for="sign-{scheduled.pk}"' in body and 'name="signature"' in body
    assert "<script>" not in body and " onclick=" not in body


def test_collect_with_signature_then_both_parties_and_the_departement_download(
    volunteer_client, staff, viewer, scheduled, giver, association,
):
    volunteer_client.post(reverse("reservation_action", args=[scheduled.pk, "collect"]),
                          {"handover_code": scheduled.handover_code, "signature": SIGNATURE})
    record = TransferRecord.objects.get(reservation=scheduled)
    url = reverse("transfer_record_download", args=[record.pk])

    assert record.signature.name
    for client in (volunteer_client, signed_in(staff), signed_in(viewer)):
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        text = PdfReader(io.BytesIO(b"".join(response.streaming_content))).pages[0].extract_text()
        assert giver.name in text and association.name in text and "INV-77" in text
    stranger = member(OrganisationFactory())
    assert signed_in(stranger).get(url).status_code == 404
    # The files are not readable through the general media view.
    assert signed_in(stranger).get(f"/media/{record.signature.name}").status_code == 404


def test_a_bad_signature_leaves_the_reservation_scheduled(volunteer_client, scheduled):
    response = volunteer_client.post(reverse("reservation_action", args=[scheduled.pk, "collect"]),
                                     {"handover_code": scheduled.handover_code, "signature": "data:text/html,x"},
                                     follow=True)

    scheduled.refresh_from_db()
    assert scheduled.status == Reservation.Status.SCHEDULED
    assert 'class="message error"' in response.content.decode()


def test_the_record_link_shows_on_my_reservations(volunteer_client, scheduled):
    volunteer_client.post(reverse("reservation_action", args=[scheduled.pk, "collect"]),
                          {"handover_code": scheduled.handover_code})

    body = volunteer_client.get(reverse("my_reservations"), {"tab": "active"}).content.decode()

    record = TransferRecord.objects.get()
    assert reverse("transfer_record_download", args=[record.pk]) in body


def test_inventory_exits_csv(volunteer_client, staff, viewer, scheduled, giver):
    volunteer_client.post(reverse("reservation_action", args=[scheduled.pk, "collect"]),
                          {"handover_code": scheduled.handover_code})
    today = timezone.localdate().isoformat()
    params = {"giver": giver.pk, "start": today, "end": today}

    response = signed_in(staff).get(reverse("inventory_exits_export"), params)

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff") and "INV-77" in body and ";" in body
    assert signed_in(viewer).get(reverse("inventory_exits_export"), params).status_code == 200
    assert volunteer_client.get(reverse("inventory_exits_export"), params).status_code == 403
    assert reverse("inventory_exits_export") in signed_in(staff).get(reverse("claims")).content.decode()
    bad = signed_in(staff).get(reverse("inventory_exits_export"), {"giver": giver.pk, "start": "x", "end": today})
    assert bad.status_code == 400


def test_api_collect_with_signature(volunteer, scheduled):
    client = APIClient()
    client.force_authenticate(volunteer)
    url = f"/api/v1/reservations/{scheduled.pk}/collect/"

    bad = client.post(url, {"handover_code": scheduled.handover_code, "signature": "data:image/gif;base64,R0lG"},
                      format="json")
    good = client.post(url, {"handover_code": scheduled.handover_code, "signature": SIGNATURE}, format="json")

    assert bad.status_code == 400 and "signature" in bad.json().get("errors", bad.json())
    assert good.status_code == 200 and good.json()["status"] == "collected"
    assert TransferRecord.objects.get(reservation=scheduled).signature.name.endswith(".png")


def test_a_transfer_record_on_the_bucket_is_downloaded_by_the_parties_only(volunteer_client, staff, scheduled,
                                                                           s3_bucket):
    import requests

    volunteer_client.post(reverse("reservation_action", args=[scheduled.pk, "collect"]),
                          {"handover_code": scheduled.handover_code, "signature": SIGNATURE})
    record = TransferRecord.objects.get(reservation=scheduled)

    assert s3_bucket.keys() == {f"media/{record.pdf.name}", f"media/{record.signature.name}"}
    response = signed_in(staff).get(reverse("transfer_record_download", args=[record.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == s3_bucket.read(record.pdf.name)
    assert signed_in(member(OrganisationFactory())).get(
        reverse("transfer_record_download", args=[record.pk])).status_code == 404
    assert signed_in(staff).get(f"/media/{record.pdf.name}").status_code == 404
    assert requests.get(s3_bucket.anonymous_url(record.pdf.name), timeout=5).status_code == 403
