"""The handover code proves that the volunteer was on site (issue #13, finding 2).

Only the giver's staff see it (their claims page, the API field ``handover_code``). A claim
is walked through approve → schedule → collect → deliver with the real services, and at
every step each surface is read: no history entry (API, item page, admin), no page or API
answer of the claiming side, no e-mail, notification or event, no export and no transfer
record may hold the code.
"""

import io
import re

import pytest
from channels.layers import get_channel_layer
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader
from rest_framework.test import APIClient

from exchange.models import Notification, TransferRecord


@pytest.fixture
def sent_events(settings, monkeypatch):
    """The text of every event sent through the in-memory channel layer, to any group."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    layer = get_channel_layer()
    texts = []
    group_send = layer.group_send

    async def recording_group_send(group, message):
        texts.append(message["text"])
        await group_send(group, message)

    monkeypatch.setattr(layer, "group_send", recording_group_send)
    return texts


def api_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def shows(code: str, text: str) -> bool:
    """Whether ``text`` holds ``code`` as a number of its own (not inside a longer one)."""
    return re.search(rf"(?<!\d){code}(?!\d)", text) is not None


def read(client, url, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, url
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return response.content.decode()


def claimer_surfaces(reservation, volunteer, coordinator) -> dict[str, str]:
    """What the claiming side reads about the claim: API answers and pages."""
    texts = {}
    day = timezone.localdate(reservation.pickup.window_start) if reservation.pickup_id else timezone.localdate()
    for user in (volunteer, coordinator):
        api, page = api_client(user), page_client(user)
        for url in (
            "/api/v1/reservations/", f"/api/v1/reservations/{reservation.pk}/",
            f"/api/v1/reservations/{reservation.pk}/history/", f"/api/v1/items/{reservation.item_id}/history/",
            "/api/v1/me/data/",
        ):
            texts[f"{user} {url}"] = read(api, url)
        for url in (
            reverse("my_reservations"), reverse("item_detail", args=[reservation.item_id]),
            reverse("item_history", args=[reservation.item_id]), reverse("notifications"),
        ):
            texts[f"{user} {url}"] = read(page, url)
        texts[f"{user} my pickups"] = read(page, reverse("my_pickups"), date=day.isoformat())
    texts["association claims"] = read(page_client(coordinator), reverse("association_claims"))
    return texts


def history_surfaces(reservation, staff, viewer, admin_client) -> dict[str, str]:
    """History as the giver's staff, the département and the platform administrator (in the
    admin, which shows no code at all) read it."""
    texts = {}
    item_page = reverse("item_history", args=[reservation.item_id])
    for user in (staff, viewer):
        api = api_client(user)
        for url in (f"/api/v1/reservations/{reservation.pk}/history/", f"/api/v1/items/{reservation.item_id}/history/"):
            texts[f"{user} {url}"] = read(api, url)
        texts[f"{user} {item_page}"] = read(page_client(user), item_page)
    texts["admin change page"] = read(admin_client, reverse("admin:exchange_reservation_change", args=[reservation.pk]))
    texts["admin history"] = read(admin_client, reverse("admin:exchange_reservation_history", args=[reservation.pk]))
    for history_id in reservation.history.values_list("history_id", flat=True):
        url = reverse("admin:exchange_reservation_simple_history", args=[reservation.pk, history_id])
        texts[f"admin history version {history_id}"] = read(admin_client, url)
    return texts


def exports_and_records(reservation, staff, volunteer, viewer) -> dict[str, str]:
    """Exports of both sides and the département, and the transfer record's PDF."""
    texts = {}
    for user in (volunteer, viewer):
        texts[f"{user} impact csv"] = read(api_client(user), "/api/v1/impact/export/", format="csv")
        xlsx = api_client(user).get("/api/v1/impact/export/", {"format": "xlsx"})
        rows = load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True)
        texts[f"{user} impact xlsx"] = "\n".join(";".join(str(cell) for cell in row) for row in rows)
    today = timezone.localdate().isoformat()
    texts["inventory exits csv"] = read(page_client(staff), reverse("inventory_exits_export"),
                                        giver=reservation.item.owner_id, start=today, end=today)
    record = TransferRecord.objects.get(reservation=reservation)
    response = page_client(volunteer).get(reverse("transfer_record_download", args=[record.pk]))
    pdf = PdfReader(io.BytesIO(b"".join(response.streaming_content)))
    texts["transfer record pdf"] = "\n".join(page.extract_text() for page in pdf.pages)
    return texts


def test_the_handover_code_shows_only_to_the_givers_staff(
    workflow, staff, volunteer, coordinator, viewer, admin_client, sent_events, django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        reservation = workflow.claim()
    with django_capture_on_commit_callbacks(execute=True):
        reservation = workflow.step(reservation, "approve")
    code = reservation.handover_code
    assert len(code) == 6
    # The detector works: the giver's staff do see the code, where they should.
    assert shows(code, read(page_client(staff), reverse("claims")))
    assert api_client(staff).get(f"/api/v1/reservations/{reservation.pk}/").json()["handover_code"] == code

    seen = {}  # where the code showed → the claim's status then

    def look(surfaces):
        for where, text in surfaces.items():
            if shows(code, text):
                seen.setdefault(where, reservation.status)

    for step in ("schedule", "collect", "deliver"):
        look({**claimer_surfaces(reservation, volunteer, coordinator),
              **history_surfaces(reservation, staff, viewer, admin_client)})
        with django_capture_on_commit_callbacks(execute=True):
            reservation = workflow.step(reservation, step)
    assert reservation.status == "delivered"

    look({
        **claimer_surfaces(reservation, volunteer, coordinator),
        **history_surfaces(reservation, staff, viewer, admin_client),
        **exports_and_records(reservation, staff, volunteer, viewer),
        **{f"e-mail to {m.to}: {m.subject}": f"{m.subject}\n{m.body}" for m in mail.outbox},
        **{f"notification {n.pk}": n.message for n in Notification.objects.all()},
        **{f"event {index}": text for index, text in enumerate(sent_events)},
    })
    assert mail.outbox and Notification.objects.exists() and sent_events  # the surfaces were really there
    assert seen == {}, f"the handover code {code} shows in {seen}"
    history_model = type(reservation.history.first())
    assert "handover_code" not in {field.name for field in history_model._meta.fields}
