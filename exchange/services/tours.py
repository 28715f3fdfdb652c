"""Tours: a day's run of an association's vehicle through planned pickups."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from inventory.history import attribute
from inventory.models import Organisation

from .. import geo, permissions
from ..models import Pickup, Tour
from ..tours import TourPlan, tour_plan
from .base import (
    require,
)


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
