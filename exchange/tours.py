"""A tour's plan: stops in order with distances, and the load against the vehicle's capacity."""

from dataclasses import dataclass
from decimal import Decimal

from . import geo
from .models import Pickup, Reservation, Tour

# Reservations a van still carries when it reaches or leaves the stop.
CARRIED = (Reservation.Status.SCHEDULED, Reservation.Status.COLLECTED)


@dataclass
class TourStop:
    pickup: Pickup
    position: int
    distance_km: float  # from the previous stop (the association's address for the first)


@dataclass
class TourPlan:
    stops: list[TourStop]
    total_km: float  # including the drive back to the association
    load_kg: Decimal
    load_m3: Decimal
    over_capacity: bool


def reservation_load(reservation: Reservation) -> tuple[Decimal, Decimal]:
    """(kg, m³) of a reservation; an item without weight uses its category's, without all
    three dimensions it counts no volume."""
    item = reservation.item
    weight = item.effective_unit_weight_kg or Decimal("0")
    volume = Decimal("0")
    if item.width_cm and item.depth_cm and item.height_cm:
        volume = Decimal(item.width_cm * item.depth_cm * item.height_cm) / Decimal(1_000_000)
    return weight * reservation.quantity, volume * reservation.quantity


def tour_plan(tour: Tour, pickups: list[Pickup]) -> TourPlan:
    """The plan of ``tour`` visiting ``pickups`` in the given order."""
    start = tour.organisation.location
    stops, here, total = [], start, 0.0
    load_kg, load_m3 = Decimal("0"), Decimal("0")
    for position, pickup in enumerate(pickups, start=1):
        there = pickup.giver.location
        leg = geo.haversine_km(here, there)
        total += leg
        stops.append(TourStop(pickup=pickup, position=position, distance_km=round(leg, 3)))
        here = there
        for reservation in pickup.reservations.filter(status__in=CARRIED).select_related("item__category"):
            kg, m3 = reservation_load(reservation)
            load_kg += kg
            load_m3 += m3
    if pickups:
        total += geo.haversine_km(here, start)
    over = load_kg > tour.capacity_kg or load_m3 > tour.capacity_m3
    return TourPlan(
        stops=stops, total_km=round(total, 3), load_kg=load_kg.quantize(Decimal("0.001")),
        load_m3=load_m3.quantize(Decimal("0.001")), over_capacity=over,
    )
