"""Pickups: a stop at one giver's site collecting approved reservations."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.errors import WorkflowError
from inventory.history import attribute
from inventory.models import Membership
from inventory.permissions import CLAIMING_ROLES

from .. import events, notifications, permissions, states
from ..models import Notification, Pickup, Reservation
from .base import (
    invalid,
    lock_reservations,
    move,
    require,
    require_may,
    save_reservation,
)

Status = Reservation.Status


def _check_volunteers(volunteers, organisation_id: int) -> list:
    volunteers = list(volunteers or [])
    members = set(
        Membership.objects.filter(organisation_id=organisation_id, role__in=CLAIMING_ROLES,
                                  user__in=[v.pk for v in volunteers]).values_list("user_id", flat=True)
    )
    strangers = [v for v in volunteers if v.pk not in members]
    if strangers:
        raise ValidationError({"volunteers": _("Volunteers must be members of the association.")})
    return volunteers


def _check_window(window_start: datetime, window_end: datetime) -> None:
    if window_end <= window_start:
        raise ValidationError({"window_end": _("The window must end after it starts.")})


@transaction.atomic
def pickup_create(*, actor, reservations, window_start: datetime, window_end: datetime, volunteers) -> Pickup:
    """Plan the collection of approved reservations at one giver's site; they become scheduled.

    Raises:
        PermissionDenied: ``actor`` is not a coordinator of the requesting association.
        WorkflowError: ``mixed_givers`` (one pickup, one site), ``invalid_transition`` unless
            every reservation is approved.
        ValidationError: no reservation, several requesting organisations, a window that
            ends before it starts, volunteers from outside the association.
    """
    ids = [getattr(r, "pk", r) for r in reservations]
    if not ids:
        raise ValidationError({"reservations": _("Choose at least one reservation.")})
    locked = lock_reservations(ids)
    if len(locked) != len(set(ids)):
        raise ValidationError({"reservations": _("Unknown reservation.")})
    requesters = {r.requester_id for r in locked}
    for reservation in locked:
        require_may(actor, reservation, states.SCHEDULE)
    if len(requesters) > 1:
        raise ValidationError({"reservations": _("A pickup collects the reservations of one organisation.")})
    if len({r.item.owner_id for r in locked}) > 1:
        raise WorkflowError("mixed_givers", _("A pickup collects at one giver's site only."))
    for reservation in locked:
        if not reservation.can(states.SCHEDULE):
            raise invalid(reservation, states.SCHEDULE)
    _check_window(window_start, window_end)
    organisation_id = requesters.pop()
    volunteers = _check_volunteers(volunteers, organisation_id)

    pickup = Pickup(
        organisation_id=organisation_id, giver_id=locked[0].item.owner_id, window_start=window_start,
        window_end=window_end, created_by=actor,
    )
    attribute(pickup, actor=actor, reason=_("Pickup planned"))
    pickup.save()
    pickup.volunteers.set(volunteers)
    now = timezone.now()
    for reservation in locked:
        move(reservation, states.SCHEDULE, now=now)
        reservation.pickup = pickup
        save_reservation(reservation, actor=actor, reason=_("Scheduled for pickup #%(id)s") % {"id": pickup.pk})
    _announce_pickup(pickup, volunteers)
    return pickup


def _announce_pickup(pickup: Pickup, new_volunteers) -> None:
    volunteers = list(pickup.volunteers.all())
    events.publish(
        "pickup.scheduled",
        {"id": pickup.pk, "status": pickup.status, "window_start": pickup.window_start.isoformat()},
        [events.org_group(pickup.organisation_id), events.org_group(pickup.giver_id),
         *(events.user_group(v.pk) for v in volunteers)],
    )
    if new_volunteers:
        notifications.notify(
            users=new_volunteers, kind=Notification.Kind.PICKUP_ASSIGNED, obj=pickup, context={"pickup": pickup},
        )


def _lock_pickup(pickup: Pickup) -> Pickup:
    return Pickup.objects.select_for_update().get(pk=pickup.pk)


def _require_planned(pickup: Pickup) -> None:
    if pickup.status != Pickup.Status.PLANNED:
        raise WorkflowError(
            "invalid_transition", _("This pickup is already %(status)s.") % {"status": pickup.get_status_display()},
        )


@transaction.atomic
def pickup_update(
    *, actor, pickup: Pickup, window_start: datetime | None = None, window_end: datetime | None = None,
    volunteers=None,
) -> Pickup:
    """Move a planned pickup's window or change its volunteers (new ones are notified).

    Raises:
        PermissionDenied: ``actor`` is not a coordinator of the association.
        WorkflowError: ``invalid_transition`` once done or missed.
        ValidationError: a window that ends before it starts, volunteers from outside.
    """
    pickup = _lock_pickup(pickup)
    require(permissions.can_manage_pickup(actor, pickup), _("Only the association's coordinators may change it."))
    _require_planned(pickup)
    if window_start is not None:
        pickup.window_start = window_start
    if window_end is not None:
        pickup.window_end = window_end
    _check_window(pickup.window_start, pickup.window_end)
    added = []
    if volunteers is not None:
        volunteers = _check_volunteers(volunteers, pickup.organisation_id)
        before = set(pickup.volunteers.values_list("pk", flat=True))
        added = [v for v in volunteers if v.pk not in before]
    attribute(pickup, actor=actor, reason=_("Pickup changed"))
    pickup.save()
    if volunteers is not None:
        pickup.volunteers.set(volunteers)
    _announce_pickup(pickup, added)
    return pickup


@transaction.atomic
def pickup_done(*, actor, pickup: Pickup) -> Pickup:
    """Close a pickup once each of its reservations was collected (or cancelled).

    Raises:
        PermissionDenied: ``actor`` is not a coordinator of the association.
        WorkflowError: ``invalid_transition`` unless planned, or while a reservation is still
            waiting to be collected (collect it with its code, or mark the pickup missed).
    """
    pickup = _lock_pickup(pickup)
    require(permissions.can_manage_pickup(actor, pickup), _("Only the association's coordinators may close it."))
    _require_planned(pickup)
    if pickup.reservations.filter(status=Status.SCHEDULED).exists():
        raise WorkflowError(
            "invalid_transition", _("Some reservations of this pickup have not been collected yet."),
        )
    pickup.status = Pickup.Status.DONE
    attribute(pickup, actor=actor, reason=_("Pickup done"))
    pickup.save()
    return pickup


@transaction.atomic
def pickup_missed(*, actor, pickup: Pickup) -> Pickup:
    """Nobody could collect: the reservations still waiting go back to planning (approved).

    Raises:
        PermissionDenied: ``actor`` is not a coordinator of the association.
        WorkflowError: ``invalid_transition`` unless planned.
    """
    waiting = list(Reservation.objects.filter(pickup=pickup, status=Status.SCHEDULED).values_list("pk", flat=True))
    locked = lock_reservations(waiting)
    pickup = _lock_pickup(pickup)
    require(permissions.can_manage_pickup(actor, pickup), _("Only the association's coordinators may record it."))
    _require_planned(pickup)
    now = timezone.now()
    for reservation in locked:
        if reservation.status == Status.SCHEDULED:  # re-checked under the lock
            move(reservation, states.MISS, now=now)
            save_reservation(reservation, actor=actor, reason=_("Pickup #%(id)s missed") % {"id": pickup.pk})
    pickup.status = Pickup.Status.MISSED
    attribute(pickup, actor=actor, reason=_("Pickup missed"))
    pickup.save()
    return pickup
