"""A whole journey over HTTP, as a client script of the département would drive it."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from inventory.models import Category
from tests.factories import image_bytes


def test_item_from_listing_to_impact(api, giver, staff, association, volunteer, coordinator, viewer):
    as_staff, as_volunteer, as_coordinator, as_viewer = api(staff), api(volunteer), api(coordinator), api(viewer)
    before = as_viewer.get("/api/v1/impact/summary/").json()["totals"]

    # Given a listing with a photo, published by the giver's staff
    chair = Category.objects.get(key="office-chair")
    response = as_staff.post(
        "/api/v1/items/",
        {"title": "Fauteuils de bureau", "description": "Trois fauteuils", "category": chair.pk,
         "condition": "good", "quantity": 3},
        format="json",
    )
    assert response.status_code == 201, response.content
    item = response.json()
    assert item["owner"] == giver.pk and item["status"] == "draft"
    from django.core.files.uploadedfile import SimpleUploadedFile

    photo = SimpleUploadedFile("chaise.jpg", image_bytes(), content_type="image/jpeg")
    response = as_staff.post(f"/api/v1/items/{item['id']}/photos/", {"image": photo, "alt_text": "Vue de face"},
                             format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["alt_text"] == "Vue de face"
    response = as_staff.post(f"/api/v1/items/{item['id']}/publish/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "available"

    # When a volunteer claims 2 of the 3 chairs
    response = as_volunteer.post("/api/v1/reservations/", {"item": item["id"], "quantity": 2, "mode": "donation"},
                                 format="json")
    assert response.status_code == 201, response.content
    reservation = response.json()
    assert reservation["requester"] == association.pk and reservation["status"] == "requested"
    assert as_volunteer.get(f"/api/v1/items/{item['id']}/").json()["quantity_available"] == 1

    # and the giver approves; only the giver's staff sees the handover code
    response = as_staff.post(f"/api/v1/reservations/{reservation['id']}/approve/")
    assert response.status_code == 200, response.content
    code = response.json()["handover_code"]
    assert code and len(code) == 6
    assert as_volunteer.get(f"/api/v1/reservations/{reservation['id']}/").json()["handover_code"] is None

    # and the coordinator schedules a pickup with the volunteer
    start = timezone.now() + timedelta(days=1)
    response = as_coordinator.post(
        "/api/v1/pickups/",
        {"reservations": [reservation["id"]], "window_start": start.isoformat(),
         "window_end": (start + timedelta(hours=2)).isoformat(), "volunteers": [volunteer.pk]},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["giver"] == giver.pk
    assert as_volunteer.get(f"/api/v1/reservations/{reservation['id']}/").json()["status"] == "scheduled"

    # and the volunteer collects with the code, then delivers
    wrong = "000000" if code != "000000" else "111111"
    response = as_volunteer.post(f"/api/v1/reservations/{reservation['id']}/collect/", {"handover_code": wrong},
                                 format="json")
    assert response.status_code == 409 and response.json()["code"] == "wrong_handover_code"
    response = as_volunteer.post(f"/api/v1/reservations/{reservation['id']}/collect/", {"handover_code": code},
                                 format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "collected"
    response = as_volunteer.post(f"/api/v1/reservations/{reservation['id']}/deliver/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "delivered"

    # Then the impact summary grows by two chairs' worth
    after = as_viewer.get("/api/v1/impact/summary/").json()["totals"]
    assert after["items"] == before["items"] + 2
    assert after["reservations"] == before["reservations"] + 1
    for figure, factor in (("kg", "unit_weight_kg"), ("co2e_kg", "unit_co2e_kg"), ("value_eur", "unit_value_eur")):
        expected = 2 * (chair.factor(factor) or Decimal("0"))
        assert Decimal(after[figure]) - Decimal(before[figure]) == expected, figure
    assert Decimal(after["kg"]) > 0

    # and the item's history tells each step, newest first
    history = as_staff.get(f"/api/v1/items/{item['id']}/history/").json()
    reasons = [entry["reason"] for entry in history]
    assert reasons[-1] and history[-1]["change"] == "created" and history[-1]["user"] == "staff"
    assert history[-1]["changes"]["title"] == [None, "Fauteuils de bureau"]
    statuses = [entry["changes"]["status"][1] for entry in reversed(history) if "status" in entry["changes"]]
    assert statuses[0] == "draft" and "available" in statuses
    reserved = [e["changes"]["quantity_reserved"] for e in reversed(history) if "quantity_reserved" in e["changes"]]
    assert [0, 2] in reserved  # the claim held two units
    assert any("quantity_transferred" in e["changes"] for e in history)
    times = [entry["at"] for entry in history]
    assert times == sorted(times, reverse=True)

    steps = as_volunteer.get(f"/api/v1/reservations/{reservation['id']}/history/").json()
    seen = [e["changes"]["status"][1] for e in reversed(steps) if "status" in e["changes"]]
    assert seen == ["requested", "approved", "scheduled", "collected", "delivered"]
