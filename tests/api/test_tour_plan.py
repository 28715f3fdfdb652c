"""POST /api/v1/tours/plan/ as API.md says (the solver itself: tests/exchange/test_planning.py)."""

from datetime import datetime
from decimal import Decimal

import pytest

from exchange import services
from exchange.models import Tour
from tests.exchange.test_planning import DAY, _approved, _at, make_givers


@pytest.fixture(autouse=True)
def _quick_solver(settings):
    settings.REBOND_PLANNER_SECONDS = 0.2


@pytest.fixture
def givers(db):
    return make_givers()


def test_api_plans_the_day_as_the_contract_says(api, association, coordinator, volunteer, givers):
    claims = _approved(givers, association, volunteer)
    pickups = [services.pickup_create(actor=coordinator, reservations=[c], window_start=_at(9), window_end=_at(17),
                                      volunteers=[]) for c in claims]
    body = {"date": DAY.isoformat(), "organisation": association.pk, "vehicles": [
        {"name": "Master", "capacity_kg": "1000", "capacity_m3": "10", "start": "08:00", "end": "18:00"},
        {"name": "Kangoo", "capacity_kg": "300", "capacity_m3": "1.5", "start": "08:00", "end": "12:00"},
    ], "pickups": [p.pk for p in pickups]}

    response = api(coordinator).post("/api/v1/tours/plan/", body, format="json")

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["unassigned"] == []
    placed = [stop["pickup"] for tour in data["tours"] for stop in tour["stops"]]
    assert sorted(placed) == sorted(p.pk for p in pickups)
    for tour in data["tours"]:
        assert set(tour) == {"id", "vehicle", "stops", "distance_km"}
        assert tour["vehicle"] in {"Master", "Kangoo"} and Decimal(tour["distance_km"]) > 0
        loads = [Decimal(stop["load_kg"]) for stop in tour["stops"]]
        assert loads == sorted(loads)  # on board, growing
        assert all(datetime.fromisoformat(stop["arrival"]).tzinfo for stop in tour["stops"])
    assert Tour.objects.count() == len(data["tours"])


@pytest.mark.parametrize("vehicles", [
    [],
    [{"name": "Van", "capacity_kg": "800", "capacity_m3": "8", "start": "18:00", "end": "08:00"}],
    [{"name": "Van", "capacity_kg": "-1", "capacity_m3": "8", "start": "08:00", "end": "18:00"}],
    [{"name": "Van", "capacity_kg": "800", "capacity_m3": "8", "start": "8h", "end": "18:00"}],
])
def test_api_refuses_wrong_vehicles_with_400(api, association, coordinator, vehicles):
    response = api(coordinator).post("/api/v1/tours/plan/", {"date": DAY.isoformat(), "vehicles": vehicles},
                                     format="json")
    assert response.status_code == 400
    assert "vehicles" in response.json()


def test_api_plan_is_for_coordinators(api, association, volunteer):
    body = {"date": DAY.isoformat(), "organisation": association.pk, "vehicles": [
        {"name": "Van", "capacity_kg": "800", "capacity_m3": "8", "start": "08:00", "end": "18:00"}]}
    assert api(volunteer).post("/api/v1/tours/plan/", body, format="json").status_code == 403
