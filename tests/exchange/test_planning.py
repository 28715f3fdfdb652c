"""The coordinator's day: the OR-Tools model on plain data, then ``tours_plan`` on real pickups."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from exchange import planning, services
from exchange.models import Pickup, Reservation, Tour, Vehicle
from inventory.models import Commune, Membership
from tests.factories import AvailableItemFactory, OrganisationFactory, member

Role = Membership.Role
DAY = date(2027, 3, 10)
DEPOT = (48.7904, 2.4556)  # Créteil
VAN = planning.VehicleSpec(key="van", name="Van", capacity_kg=800, capacity_m3=8, start=8 * 60, end=18 * 60)


@pytest.fixture(autouse=True)
def _quick_solver(settings):
    settings.REBOND_PLANNER_SECONDS = 0.2


def _stop(key, point, kg=50.0, m3=0.5, window=(9 * 60, 17 * 60)):
    return planning.Stop(key=key, point=point, window=window, kg=kg, m3=m3, service=15)


def _check(plan, stops, depot=DEPOT):
    matrix = planning.Matrix.for_points([depot, *(s.point for s in stops)])
    index = {s.key: i for i, s in enumerate(stops, start=1)}
    return [p for route in plan.routes for p in planning.check_route(route, lambda s: index[s.key], matrix)]


#
# The model on plain data
#
def test_loads_are_split_between_vehicles_by_kg_and_by_m3():
    # Two heavy stops cannot share the small van; two bulky ones neither.
    small = planning.VehicleSpec(key="s", name="Small", capacity_kg=500, capacity_m3=4, start=480, end=1080)
    big = planning.VehicleSpec(key="b", name="Big", capacity_kg=1000, capacity_m3=10, start=480, end=1080)
    stops = [_stop("heavy1", (48.80, 2.48), kg=400), _stop("heavy2", (48.81, 2.49), kg=400),
             _stop("bulky1", (48.77, 2.43), m3=3), _stop("bulky2", (48.78, 2.42), m3=3)]
    plan = planning.plan_day(depot=DEPOT, stops=stops, vehicles=[small, big], time_limit=0.2)
    assert plan.unassigned == []
    assert sorted(s.stop.key for r in plan.routes for s in r.stops) == ["bulky1", "bulky2", "heavy1", "heavy2"]
    for route in plan.routes:
        assert route.stops[-1].load_kg <= route.vehicle.capacity_kg
        assert route.stops[-1].load_m3 <= route.vehicle.capacity_m3
    assert _check(plan, stops) == []


def test_windows_decide_the_order_even_against_distance():
    # The far stop opens first: it is visited first although the near one is on the way.
    near, far = (48.80, 2.47), (48.74, 2.40)
    stops = [_stop("near", near, window=(14 * 60, 17 * 60)), _stop("far", far, window=(9 * 60, 10 * 60))]
    plan = planning.plan_day(depot=DEPOT, stops=stops, vehicles=[VAN], time_limit=0.2)
    [route] = plan.routes
    assert [s.stop.key for s in route.stops] == ["far", "near"]
    assert 9 * 60 <= route.stops[0].arrival <= 10 * 60 - 15
    assert route.stops[1].arrival >= 14 * 60
    assert route.leaves >= VAN.start and route.returns <= VAN.end
    assert _check(plan, stops) == []


def test_stops_that_cannot_fit_come_back_with_the_reason():
    stops = [
        _stop("piano", (48.80, 2.48), kg=900),  # heavier than the van
        _stop("wardrobes", (48.80, 2.48), m3=9),  # bulkier
        _stop("night", (48.80, 2.48), window=(20 * 60, 22 * 60)),  # after the van's hours
        _stop("ok1", (48.79, 2.46), kg=500),
        _stop("ok2", (48.78, 2.45), kg=500),  # fits alone, not with ok1
    ]
    plan = planning.plan_day(depot=DEPOT, stops=stops, vehicles=[VAN], time_limit=0.2)
    reasons = {stop.key: reason for stop, reason in plan.unassigned}
    assert reasons.pop("piano") == planning.TOO_HEAVY
    assert reasons.pop("wardrobes") == planning.TOO_BULKY
    assert reasons.pop("night") == planning.OUTSIDE_HOURS
    assert list(reasons.values()) == [planning.NO_ROOM]  # one of ok1 / ok2
    assert len(plan.routes[0].stops) == 1


def test_distances_fall_back_to_the_great_circle_when_osrm_does_not_answer(settings):
    settings.REBOND_OSRM_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    settings.REBOND_OSRM_TIMEOUT = 0.5
    km, minutes, source = planning.geo.road_matrix([DEPOT, (48.85, 2.44)])
    assert source == "great-circle"
    expected = planning.geo.haversine_km(DEPOT, (48.85, 2.44)) * settings.REBOND_ROAD_FACTOR
    assert km[0][1] == pytest.approx(expected)
    assert minutes[0][1] == pytest.approx(expected / settings.REBOND_ROAD_SPEED_KMH * 60)


#
# tours_plan on real pickups
#
def _at(hour, minute=0):
    return timezone.make_aware(datetime.combine(DAY, time(hour, minute)))


@pytest.fixture
def givers(db):
    return make_givers()


def make_givers():
    """Four givers in four communes, each with its staff and two office chairs on offer."""
    made = []
    for code in ("94080", "94017", "94041", "94034"):  # Vincennes, Champigny, Ivry, Fresnes
        commune = Commune.objects.get(insee=code)
        giver = OrganisationFactory(commune=commune, postcode=commune.postcode, address=f"1 place de {commune.name}")
        staff = member(giver, Role.STAFF)
        item = AvailableItemFactory(owner=giver, quantity=2, width_cm=60, depth_cm=60, height_cm=100)
        made.append((giver, staff, item))
    return made


def _approved(givers, association, volunteer):
    claims = []
    for _giver, staff, item in givers:
        claim = services.reservation_create(actor=volunteer, item=item, requester=association, quantity=2)
        claims.append(services.reservation_approve(actor=staff, reservation=claim))
    return claims


def test_the_day_is_planned_into_tours_with_arrivals(association, coordinator, volunteer, givers):
    claims = _approved(givers, association, volunteer)
    existing = [services.pickup_create(actor=coordinator, reservations=[c], window_start=_at(9), window_end=_at(12),
                                       volunteers=[volunteer]) for c in claims[:2]]
    proposals = [services.Proposal(reservations=[c.pk], window_start=_at(13), window_end=_at(17)) for c in claims[2:]]
    vehicle = Vehicle.objects.create(organisation=association, name="Kangoo", capacity_kg=400, capacity_m3=3)

    plan = services.tours_plan(actor=coordinator, organisation=association, date=DAY,
                               vehicles=[services.VehicleChoice.of(vehicle, volunteers=[volunteer])],
                               proposals=proposals)

    assert plan.unassigned == [] and len(plan.tours) == 1
    tour = Tour.objects.get()
    assert (tour.vehicle, tour.vehicle_name, tour.date) == (vehicle, "Kangoo", DAY)
    stops = list(tour.pickups.order_by("position"))
    assert len(stops) == 4 and [p.position for p in stops] == [1, 2, 3, 4]
    assert set(stops[:2]) == set(existing)  # the morning ones first, as their windows say
    for pickup in stops:
        assert pickup.window_start <= pickup.arrival <= pickup.window_end - timedelta(minutes=15)
    assert tour.starts_at <= stops[0].arrival and tour.ends_at >= stops[-1].arrival
    assert tour.distance_km > 0 and list(tour.volunteers.all()) == [volunteer]
    # The proposals became pickups with the vehicle's volunteers; their claims are scheduled.
    assert Reservation.objects.filter(status=Reservation.Status.SCHEDULED).count() == 4
    assert all(list(p.volunteers.all()) == [volunteer] for p in stops)
    assert [s.load_kg for s in plan.tours[0].route.stops] == pytest.approx([23.8, 47.6, 71.4, 95.2])


def test_a_proposal_that_does_not_fit_stays_approved(association, coordinator, volunteer, givers):
    claims = _approved(givers, association, volunteer)
    proposals = [services.Proposal(reservations=[c.pk], window_start=_at(9), window_end=_at(17)) for c in claims]
    tiny = services.VehicleChoice(name="Vélo cargo", capacity_kg=Decimal("50"), capacity_m3=Decimal("1"),
                                  start=time(8), end=time(18))

    plan = services.tours_plan(actor=coordinator, organisation=association, date=DAY, vehicles=[tiny],
                               proposals=proposals)

    # 0.72 m³ a stop: one fits in the cargo bike's 1 m³, the three others do not.
    assert len(plan.tours) == 1 and len(plan.tours[0].pickups) == 1
    assert sorted(u.code for u in plan.unassigned) == ["no_room"] * 3
    assert all(u.pickup is None and u.reason for u in plan.unassigned)
    assert Pickup.objects.count() == 1
    assert Reservation.objects.filter(status=Reservation.Status.APPROVED).count() == 3


def test_only_coordinators_plan_and_only_their_own_days_pickups(association, coordinator, volunteer, givers):
    claims = _approved(givers, association, volunteer)
    van = services.VehicleChoice(name="Van", capacity_kg=Decimal("800"), capacity_m3=Decimal("8"),
                                 start=time(8), end=time(18))
    with pytest.raises(PermissionDenied):
        services.tours_plan(actor=volunteer, organisation=association, date=DAY, vehicles=[van])
    other_day = services.pickup_create(actor=coordinator, reservations=[claims[0]], window_start=_at(9) + timedelta(
        days=1), window_end=_at(12) + timedelta(days=1), volunteers=[])
    with pytest.raises(ValidationError):
        services.tours_plan(actor=coordinator, organisation=association, date=DAY, vehicles=[van],
                            pickups=[other_day.pk])
    with pytest.raises(ValidationError):
        services.tours_plan(actor=coordinator, organisation=association, date=DAY, vehicles=[])
    assert Tour.objects.count() == 0
