"""``weight_kg`` on collect (API.md "On the road (v1.1)") and ``kg_measured`` in the summary."""

import pytest

from exchange.models import ImpactRecord
from tests.factories import AvailableItemFactory


@pytest.fixture
def offered(giver):
    return AvailableItemFactory(owner=giver, quantity=3)


def test_collect_keeps_the_weight_and_the_summary_counts_it(api, workflow, volunteer, viewer):
    scheduled = workflow.to("scheduled", quantity=2)
    client = api(volunteer)

    collected = client.post(f"/api/v1/reservations/{scheduled.pk}/collect/",
                            {"handover_code": scheduled.handover_code, "weight_kg": "14.5"}, format="json")
    client.post(f"/api/v1/reservations/{scheduled.pk}/deliver/", format="json")
    totals = api(viewer).get("/api/v1/impact/summary/").json()["totals"]

    assert collected.status_code == 200 and collected.json()["weight_kg"] == "14.50"
    assert ImpactRecord.objects.get().kg_basis == "measured"
    assert totals["kg"] == totals["kg_measured"] == "14.500"


def test_collect_without_a_weight_is_estimated(api, workflow, volunteer):
    scheduled = workflow.to("scheduled")

    response = api(volunteer).post(f"/api/v1/reservations/{scheduled.pk}/collect/",
                                   {"handover_code": scheduled.handover_code, "weight_kg": None}, format="json")

    assert response.status_code == 200 and response.json()["weight_kg"] is None


@pytest.mark.parametrize("weight", ["0", "-2", "3500.01", "lourd", "1.234", 10**9])
def test_an_impossible_weight_is_a_400_on_weight_kg(api, workflow, volunteer, weight):
    scheduled = workflow.to("scheduled")

    response = api(volunteer).post(f"/api/v1/reservations/{scheduled.pk}/collect/",
                                   {"handover_code": scheduled.handover_code, "weight_kg": weight}, format="json")

    assert response.status_code == 400 and list(response.json()) == ["weight_kg"], response.json()
    scheduled.refresh_from_db()
    assert scheduled.status == "scheduled"
