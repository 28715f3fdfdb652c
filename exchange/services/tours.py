"""Tours: a day's run of an association's vehicle through planned pickups."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.errors import WorkflowError
from inventory.history import attribute
from inventory.models import Organisation

from .. import events, geo, permissions, planning
from ..models import Pickup, Reservation, Tour, Vehicle
from ..tours import CARRIED, TourPlan, reservation_load, tour_plan
from .base import (
    require,
)
from .pickups import pickup_create


@transaction.atomic
def tour_create(*, actor, organisation: Organisation, date: date, capacity_kg, capacity_m3, pickups) -> Tour:
    """A day's run of the association's vehicle through planned pickups, in the given order.

    Raises:
        PermissionDenied: ``actor`` is not a coordinator of ``organisation``.
        ValidationError: a pickup of another association or no longer planned, bad capacities.
    """
    require(permissions.is_coordinator(actor, organisation), _("Only the association's coordinators plan tours."))
    wanted = [getattr(p, "pk", p) for p in pickups]
    order = {pk: i for i, pk in enumerate(wanted)}
    pickups = sorted(Pickup.objects.select_for_update().filter(pk__in=wanted), key=lambda p: order[p.pk])
    if len(pickups) != len(order):
        raise ValidationError({"pickups": _("Unknown pickup.")})
    for pickup in pickups:
        if pickup.organisation_id != organisation.pk or pickup.status != Pickup.Status.PLANNED:
            raise ValidationError({"pickups": _("A tour takes planned pickups of its own association.")})
    tour = Tour(organisation=organisation, date=date, capacity_kg=capacity_kg, capacity_m3=capacity_m3,
                created_by=actor)
    tour.full_clean()
    attribute(tour, actor=actor, reason=_("Tour planned"))
    tour.save()
    for position, pickup in enumerate(pickups, start=1):
        pickup.tour, pickup.position = tour, position
        attribute(pickup, actor=actor, reason=_("Added to tour #%(id)s") % {"id": tour.pk})
        pickup.save()
    return tour


@transaction.atomic
def tour_optimise(*, actor, tour: Tour) -> TourPlan:
    """Reorder the tour's stops from the association's address (nearest neighbour, then 2-opt)
    and report distances and load.

    Raises:
        PermissionDenied: ``actor`` is not a coordinator of the association.
    """
    tour = Tour.objects.select_for_update().select_related("organisation__commune").get(pk=tour.pk)
    require(permissions.can_manage_tour(actor, tour), _("Only the association's coordinators plan tours."))
    pickups = list(
        Pickup.objects.select_for_update().filter(tour=tour).select_related("giver__commune").order_by("position", "pk")
    )
    order = geo.optimise_order(tour.organisation.location, [p.giver.location for p in pickups])
    ordered = [pickups[i] for i in order]
    for position, pickup in enumerate(ordered, start=1):
        if pickup.position != position:
            pickup.position = position
            attribute(pickup, actor=actor, reason=_("Tour optimised"))
            pickup.save()
    return tour_plan(tour, ordered)


#
# The coordinator's day: vehicles, the solver, tours written through the services
#
@dataclass
class VehicleChoice:
    """A vehicle for one day: its capacities and hours (from a ``Vehicle`` row or typed in),
    and the volunteers who go with it (they get the new pickups)."""

    name: str
    capacity_kg: Decimal
    capacity_m3: Decimal
    start: time
    end: time
    vehicle: Vehicle | None = None
    volunteers: list = field(default_factory=list)

    @classmethod
    def of(cls, vehicle: Vehicle, volunteers=()) -> "VehicleChoice":
        return cls(name=vehicle.name, capacity_kg=vehicle.capacity_kg, capacity_m3=vehicle.capacity_m3,
                   start=vehicle.usual_start, end=vehicle.usual_end, vehicle=vehicle, volunteers=list(volunteers))


@dataclass
class Proposal:
    """Approved claims at one giver's site, not yet a pickup: planned only if a vehicle takes it."""

    reservations: list[int]
    window_start: datetime
    window_end: datetime


@dataclass
class PlannedTour:
    tour: Tour
    route: planning.Route
    pickups: list[Pickup]


@dataclass
class Unplanned:
    """A stop the day could not take: an existing pickup, or a giver's proposal."""

    pickup: Pickup | None
    giver: Organisation
    reservations: list[Reservation]
    code: str
    reason: str


@dataclass
class DayPlan:
    tours: list[PlannedTour]
    unassigned: list[Unplanned]
    source: str


def unplanned_reason(code: str) -> str:
    return {
        planning.TOO_HEAVY: _("Heavier than any of the day's vehicles can carry."),
        planning.TOO_BULKY: _("Bulkier than any of the day's vehicles can carry."),
        planning.OUTSIDE_HOURS: _("No vehicle can reach it within its pickup window and its working hours."),
        planning.NO_ROOM: _("The day's vehicles are full: no room left in their load or their hours."),
    }[code]


MAX_VEHICLES = 20


def _minutes(moment: datetime, day: date) -> int:
    local = timezone.localtime(moment)
    if local.date() < day:
        return 0
    if local.date() > day:
        return 24 * 60
    return local.hour * 60 + local.minute


def _at(day: date, minutes: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(0)) + timedelta(minutes=minutes))


def _load(reservations) -> tuple[Decimal, Decimal]:
    kg, m3 = Decimal("0"), Decimal("0")
    for reservation in reservations:
        one_kg, one_m3 = reservation_load(reservation)
        kg, m3 = kg + one_kg, m3 + one_m3
    return kg, m3


def _check_vehicles(vehicles: list[VehicleChoice]) -> None:
    if not vehicles:
        raise ValidationError({"vehicles": _("Choose at least one vehicle.")})
    if len(vehicles) > MAX_VEHICLES:
        raise ValidationError({"vehicles": _("At most %(n)s vehicles a day.") % {"n": MAX_VEHICLES}})
    for vehicle in vehicles:
        if not vehicle.name.strip():
            raise ValidationError({"vehicles": _("Each vehicle needs a name.")})
        if vehicle.capacity_kg <= 0 or vehicle.capacity_m3 <= 0:
            raise ValidationError({"vehicles": _("%(name)s: capacities must be above zero.") % {"name": vehicle.name}})
        if vehicle.end <= vehicle.start:
            raise ValidationError({"vehicles": _("%(name)s: the working hours must end after they start.")
                                   % {"name": vehicle.name}})


@transaction.atomic
def tours_plan(
    *, actor, organisation: Organisation, date: date, vehicles: list[VehicleChoice], pickups=None,
    proposals: list[Proposal] = (),
) -> DayPlan:
    """Plan the association's day: assign stops to vehicles within their capacities (kg and
    m³), the pickup windows and the vehicles' hours, from and back to the association's
    address (``exchange.planning``), then write one tour per vehicle used.

    The stops are ``pickups`` (planned pickups of that day not yet in a tour; all of them when
    None) and ``proposals`` (approved claims at one giver each, which become pickups only when
    a vehicle takes them, with that vehicle's volunteers). Pickups and tours are written by
    ``pickup_create`` and ``tour_create``, so their rules and history apply. Stops left out
    are returned with the reason; they stay as they were.

    Raises:
        PermissionDenied: ``actor`` is not a coordinator of ``organisation``.
        ValidationError: no vehicle or a wrong one, a pickup of another association, of
            another day, already in a tour or no longer planned, a proposal's claims not
            approved claims of the association.
        WorkflowError: a proposal mixing givers (as ``pickup_create``).
    """
    require(permissions.is_coordinator(actor, organisation), _("Only the association's coordinators plan tours."))
    _check_vehicles(vehicles)
    organisation = Organisation.objects.select_related("commune").get(pk=organisation.pk)

    day_pickups = Pickup.objects.select_for_update().filter(
        organisation=organisation, status=Pickup.Status.PLANNED, tour__isnull=True,
    ).filter(window_start__lt=_at(date + timedelta(days=1), 0), window_end__gt=_at(date, 0))
    if pickups is None:
        chosen = list(day_pickups.order_by("window_start", "pk"))
    else:
        wanted = list(dict.fromkeys(getattr(p, "pk", p) for p in pickups))
        chosen = list(day_pickups.filter(pk__in=wanted).order_by("window_start", "pk"))
        if len(chosen) != len(wanted):
            raise ValidationError({"pickups": _(
                "Each pickup must be a planned pickup of the association on that day, not yet in a tour.")})
    carried = Prefetch("reservations", queryset=Reservation.objects.filter(status__in=CARRIED)
                       .select_related("item__category"), to_attr="carried")
    chosen = list(Pickup.objects.filter(pk__in=[p.pk for p in chosen]).select_related("giver__commune")
                  .prefetch_related(carried).order_by("window_start", "pk"))

    proposal_rows = []
    for proposal in proposals:
        ids = list(dict.fromkeys(proposal.reservations))
        rows = list(Reservation.objects.filter(pk__in=ids, requester=organisation, status=Reservation.Status.APPROVED)
                    .select_related("item__category", "item__owner__commune"))
        if not ids or len(rows) != len(ids):
            raise ValidationError({"proposals": _("Only approved claims of the association can be planned.")})
        if len({r.item.owner_id for r in rows}) > 1:
            raise WorkflowError("mixed_givers", _("A pickup collects at one giver's site only."))
        if proposal.window_end <= proposal.window_start:
            raise ValidationError({"window_end": _("The window must end after it starts.")})
        proposal_rows.append((proposal, rows))

    # The solver's input: existing pickups first, then the proposals, in that order.
    sources, stops = [], []
    for pickup in chosen:
        kg, m3 = _load(pickup.carried)
        sources.append(("pickup", pickup, pickup.giver, pickup.carried))
        stops.append(planning.Stop(
            key=len(stops), point=pickup.giver.location, kg=float(kg), m3=float(m3),
            window=(_minutes(pickup.window_start, date), _minutes(pickup.window_end, date)),
            service=settings.REBOND_STOP_MINUTES,
        ))
    for proposal, rows in proposal_rows:
        kg, m3 = _load(rows)
        giver = rows[0].item.owner
        sources.append(("proposal", proposal, giver, rows))
        stops.append(planning.Stop(
            key=len(stops), point=giver.location, kg=float(kg), m3=float(m3),
            window=(_minutes(proposal.window_start, date), _minutes(proposal.window_end, date)),
            service=settings.REBOND_STOP_MINUTES,
        ))
    specs = [
        planning.VehicleSpec(key=i, name=v.name, capacity_kg=float(v.capacity_kg), capacity_m3=float(v.capacity_m3),
                             start=v.start.hour * 60 + v.start.minute, end=v.end.hour * 60 + v.end.minute)
        for i, v in enumerate(vehicles)
    ]
    plan = planning.plan_day(depot=organisation.location, stops=stops, vehicles=specs,
                             time_limit=settings.REBOND_PLANNER_SECONDS)

    planned = []
    for route in plan.routes:
        choice = vehicles[route.vehicle.key]
        route_pickups = []
        for planned_stop in route.stops:
            kind, source, _giver, rows = sources[planned_stop.stop.key]
            if kind == "proposal":
                source = pickup_create(actor=actor, reservations=[r.pk for r in rows], window_start=source.window_start,
                                       window_end=source.window_end, volunteers=choice.volunteers)
            route_pickups.append(source)
        tour = tour_create(actor=actor, organisation=organisation, date=date, capacity_kg=choice.capacity_kg,
                           capacity_m3=choice.capacity_m3, pickups=[p.pk for p in route_pickups])
        tour.vehicle, tour.vehicle_name = choice.vehicle, choice.name
        tour.starts_at, tour.ends_at = _at(date, route.leaves), _at(date, route.returns)
        tour.distance_km = Decimal(str(route.distance_km)).quantize(Decimal("0.1"))
        attribute(tour, actor=actor, reason=_("Day planned: %(vehicle)s") % {"vehicle": choice.name})
        tour.save()
        if choice.volunteers:
            tour.volunteers.set(choice.volunteers)
        fresh = {p.pk: p for p in Pickup.objects.filter(tour=tour)}
        ordered = []
        for pickup, planned_stop in zip(route_pickups, route.stops, strict=True):
            pickup = fresh[pickup.pk]
            pickup.arrival = _at(date, planned_stop.arrival)
            attribute(pickup, actor=actor, reason=_("Arrival planned"))
            pickup.save()
            ordered.append(pickup)
        events.publish("tour.planned", {"id": tour.pk, "date": date.isoformat()},
                       [events.org_group(organisation.pk), *(events.user_group(v.pk) for v in choice.volunteers)])
        planned.append(PlannedTour(tour=tour, route=route, pickups=ordered))

    unassigned = []
    for stop, code in plan.unassigned:
        kind, source, giver, rows = sources[stop.key]
        unassigned.append(Unplanned(pickup=source if kind == "pickup" else None, giver=giver, reservations=list(rows),
                                    code=code, reason=unplanned_reason(code)))
    return DayPlan(tours=planned, unassigned=unassigned, source=plan.source)


VEHICLE_FIELDS = ("name", "capacity_kg", "capacity_m3", "usual_start", "usual_end", "is_active")


@transaction.atomic
def vehicle_save(*, actor, organisation: Organisation, vehicle: Vehicle | None = None, **fields) -> Vehicle:
    """Add a vehicle to the association, or change one of its own (a vehicle is taken out of
    service, never deleted: past tours name it).

    Raises:
        PermissionDenied: ``actor`` is not a coordinator of ``organisation``, or the vehicle
            belongs to another association.
        ValidationError: a name already used by the association, capacities at or below
            zero, hours that end before they start.
    """
    require(permissions.is_coordinator(actor, organisation), _("Only the association's coordinators manage vehicles."))
    if vehicle is None:
        vehicle = Vehicle(organisation=organisation)
    else:
        vehicle = Vehicle.objects.select_for_update().get(pk=vehicle.pk)
        require(vehicle.organisation_id == organisation.pk, _("This vehicle belongs to another association."))
    for name in VEHICLE_FIELDS:
        if name in fields:
            setattr(vehicle, name, fields[name])
    vehicle.name = (vehicle.name or "").strip()
    if Vehicle.objects.filter(organisation=organisation, name__iexact=vehicle.name).exclude(pk=vehicle.pk).exists():
        raise ValidationError({"name": _("The association already has a vehicle with this name.")})
    vehicle.full_clean()
    attribute(vehicle, actor=actor, reason=_("Vehicle added") if vehicle._state.adding else _("Vehicle changed"))
    vehicle.save()
    return vehicle
