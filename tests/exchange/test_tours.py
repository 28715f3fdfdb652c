"""Tours: stop order from the association's address, distances, load against capacity."""

import csv
import itertools
import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from exchange import geo, services
from inventory.models import Commune, Membership
from tests.factories import AvailableItemFactory, OrganisationFactory, member

Role = Membership.Role
# Eight givers across the département, listed in a zig-zag order a coordinator might type.
STOPS = ["94080", "94054", "94017", "94003", "94075", "94041", "94059", "94034"]
# Vincennes, Orly, Champigny, Arcueil, Villecresnes, Ivry, Le Plessis-Trévise, Fresnes
HOME = "94028"  # the association is in Créteil


def _coordinates() -> dict[str, tuple[float, float]]:
    with open(settings.DATA_DIR / "communes_94.csv", encoding="utf-8") as handle:
        return {row["insee"]: (float(row["latitude"]), float(row["longitude"])) for row in csv.DictReader(handle)}


#
# Pure geometry
#
def test_haversine_matches_a_known_distance():
    # Créteil to Vincennes town centres: about 7.1 km as the crow flies.
    points = _coordinates()
    assert geo.haversine_km(points["94028"], points["94080"]) == pytest.approx(7.1, abs=0.2)
    assert geo.haversine_km(points["94028"], points["94028"]) == 0


def test_the_optimised_order_is_never_longer_than_the_input_order():
    points = _coordinates()
    start, stops = points[HOME], [points[code] for code in STOPS]
    rng = random.Random(94)
    orders = [list(range(8)), *(rng.sample(range(8), 8) for _ in range(20))]
    for order in orders:
        given = [stops[i] for i in order]
        best = geo.optimise_order(start, given)
        assert sorted(best) == list(range(8))  # every stop, once
        assert geo.route_length_km(start, given, best) <= geo.route_length_km(start, given, range(8)) + 1e-9


def test_the_optimised_order_is_close_to_the_true_optimum():
    points = _coordinates()
    start, stops = points[HOME], [points[code] for code in STOPS]
    optimum = min(geo.route_length_km(start, stops, p) for p in itertools.permutations(range(8)))
    found = geo.route_length_km(start, stops, geo.optimise_order(start, stops))
    assert found <= optimum * 1.05


#
# The service on real pickups
#
@pytest.fixture
def pickups(association, coordinator, volunteer):
    """One planned pickup of two office chairs (60×60×100 cm) at each of the eight givers."""
    created = []
    start = timezone.now() + timedelta(days=1)
    for code in STOPS:
        commune = Commune.objects.get(insee=code)
        giver = OrganisationFactory(commune=commune, postcode=commune.postcode)
        staff = member(giver, Role.STAFF)
        item = AvailableItemFactory(owner=giver, quantity=2, width_cm=60, depth_cm=60, height_cm=100)
        reservation = services.reservation_create(actor=volunteer, item=item, requester=association, quantity=2)
        services.reservation_approve(actor=staff, reservation=reservation)
        created.append(services.pickup_create(
            actor=coordinator, reservations=[reservation], window_start=start,
            window_end=start + timedelta(hours=8), volunteers=[volunteer],
        ))
    return created


def test_optimise_shortens_the_tour_and_saves_the_order(association, coordinator, pickups):
    tour = services.tour_create(actor=coordinator, organisation=association, date=timezone.localdate(),
                                capacity_kg=Decimal("500"), capacity_m3=Decimal("12"), pickups=pickups)
    assert list(tour.pickups.order_by("position")) == pickups  # the order as entered
    home = association.location
    as_entered = geo.route_length_km(home, [p.giver.location for p in pickups], range(len(pickups)))

    plan = services.tour_optimise(actor=coordinator, tour=tour)

    assert plan.total_km <= as_entered
    assert plan.total_km < as_entered * 0.8  # the zig-zag order is far from good
    assert [stop.position for stop in plan.stops] == list(range(1, 9))
    assert sorted(stop.pickup.pk for stop in plan.stops) == sorted(p.pk for p in pickups)
    legs = sum(stop.distance_km for stop in plan.stops)
    back = geo.haversine_km(plan.stops[-1].pickup.giver.location, home)
    assert plan.total_km == pytest.approx(legs + back, abs=0.01)
    saved = list(tour.pickups.order_by("position").values_list("pk", flat=True))
    assert saved == [stop.pickup.pk for stop in plan.stops]
    # 8 stops × 2 chairs × 11.9 kg, and × 0.36 m³
    assert (plan.load_kg, plan.load_m3) == (Decimal("190.400"), Decimal("5.760"))
    assert plan.over_capacity is False


@pytest.mark.parametrize(("kg", "m3"), [("150", "12"), ("500", "5")])
def test_an_overloaded_tour_is_flagged(association, coordinator, pickups, kg, m3):
    tour = services.tour_create(actor=coordinator, organisation=association, date=timezone.localdate(),
                                capacity_kg=Decimal(kg), capacity_m3=Decimal(m3), pickups=pickups)
    assert services.tour_optimise(actor=coordinator, tour=tour).over_capacity is True


def test_only_the_associations_coordinators_plan_tours(association, volunteer, coordinator, pickups):
    with pytest.raises(PermissionDenied):
        services.tour_create(actor=volunteer, organisation=association, date=timezone.localdate(),
                             capacity_kg=100, capacity_m3=5, pickups=pickups)
    tour = services.tour_create(actor=coordinator, organisation=association, date=timezone.localdate(),
                                capacity_kg=100, capacity_m3=5, pickups=pickups[:2])
    with pytest.raises(PermissionDenied):
        services.tour_optimise(actor=volunteer, tour=tour)


def test_a_tour_keeps_the_order_it_is_given(coordinator, association, pickups):
    given = list(reversed(pickups))
    tour = services.tour_create(actor=coordinator, organisation=association, date=timezone.localdate(),
                                capacity_kg=100, capacity_m3=5, pickups=given)
    assert list(tour.pickups.order_by("position")) == given


def test_a_tour_takes_only_its_own_planned_pickups(coordinator, association, pickups):
    services.pickup_missed(actor=coordinator, pickup=pickups[0])
    with pytest.raises(ValidationError):
        services.tour_create(actor=coordinator, organisation=association, date=timezone.localdate(),
                             capacity_kg=100, capacity_m3=5, pickups=pickups[:2])
