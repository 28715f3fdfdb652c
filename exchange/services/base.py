"""Steps every exchange service shares: row locks, the pipeline move, saves with history and events."""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from inventory.errors import WorkflowError
from inventory.history import attribute
from inventory.models import Item, Membership

from .. import events, permissions, states
from ..models import Pickup, Reservation

Status = Reservation.Status
# Item statuses that follow their units (the others are set by people or by expiry).
OPEN_ITEM_STATUSES = (Item.Status.AVAILABLE, Item.Status.RESERVED, Item.Status.GONE)


def lock_item(item_id: int) -> Item:
    return Item.objects.select_for_update().select_related("category", "owner").get(pk=item_id)


def lock_with_item(model, obj):
    """Lock the item ``obj`` belongs to, then ``obj`` itself (a reservation, a booking): both
    fresh from the database, always in that order so two services never wait crosswise."""
    item_id = model.objects.values_list("item_id", flat=True).get(pk=obj.pk)
    item = lock_item(item_id)
    locked = model.objects.select_for_update().get(pk=obj.pk)
    locked.item = item
    return locked


def lock_reservation(reservation: Reservation) -> Reservation:
    """Lock the reservation's item, then the reservation itself; both fresh from the database."""
    return lock_with_item(Reservation, reservation)


def lock_reservations(ids) -> list[Reservation]:
    """Lock several reservations and their items (items first, each set in id order)."""
    ids = sorted(set(ids))
    item_ids = Reservation.objects.filter(pk__in=ids).values_list("item_id", flat=True)
    items = {
        item.pk: item
        for item in Item.objects.select_for_update().select_related("category", "owner")
        .filter(pk__in=list(item_ids)).order_by("pk")
    }
    locked = list(Reservation.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    for reservation in locked:
        reservation.item = items[reservation.item_id]
    return locked


def invalid(reservation: Reservation, action: str) -> WorkflowError:
    return WorkflowError(
        "invalid_transition",
        _("This reservation cannot be %(action)s now (status: %(status)s).")
        % {"action": action_label(action), "status": reservation.get_status_display()},
    )


def action_label(action: str) -> str:
    # A context of their own: "approved" is also the label of the approval date field.
    labels = {
        states.APPROVE: pgettext("transition", "approved"), states.DECLINE: pgettext("transition", "declined"),
        states.CANCEL: pgettext("transition", "cancelled"), states.SCHEDULE: pgettext("transition", "scheduled"),
        states.MISS: pgettext("transition", "sent back to planning"),
        states.COLLECT: pgettext("transition", "collected"), states.DELIVER: pgettext("transition", "delivered"),
        states.RETURN: pgettext("transition", "returned"), states.EXPIRE: pgettext("transition", "expired"),
    }
    return labels.get(action, action)


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def require_may(actor, reservation: Reservation, action: str) -> None:
    """Refuse ``action`` unless ``exchange.permissions`` lets ``actor`` take it (403)."""
    refusal = permissions.reservation_refusal(actor, reservation, action)
    if refusal is not None:
        raise refusal


REASON_MAX_LENGTH = Reservation.REASON_MAX_LENGTH


def clean_reason(reason: str | None) -> str:
    """A reason as kept on the object: trimmed; over ``REASON_MAX_LENGTH`` is refused (400)
    rather than cut (the history row's reason is a shortened copy, see ``attribute``)."""
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": _("Keep the reason to %(n)s characters at most (it has %(length)s).")
                               % {"n": REASON_MAX_LENGTH, "length": len(reason)}})
    return reason


def settle_pickup(reservation: Reservation, *, actor) -> None:
    """A planned pickup closes itself (``done``) once none of its reservations still waits to
    be collected: each was collected or cancelled."""
    if reservation.pickup_id is None:
        return
    pickup = Pickup.objects.select_for_update().get(pk=reservation.pickup_id)
    if pickup.status != Pickup.Status.PLANNED or pickup.reservations.filter(status=Status.SCHEDULED).exists():
        return
    pickup.status = Pickup.Status.DONE
    attribute(pickup, actor=actor, reason=_("Each reservation collected or cancelled"))
    pickup.save()
    events.publish(
        "pickup.status_changed", {"id": pickup.pk, "status": pickup.status},
        [events.org_group(pickup.organisation_id), events.org_group(pickup.giver_id), events.DEPARTMENT],
    )


def move(reservation: Reservation, action: str, *, now: datetime) -> None:
    """Apply ``action`` of the pipeline to the (locked) reservation, or refuse it."""
    new_status = states.next_status(reservation.status, action) if reservation.can(action) else None
    if new_status is None:
        raise invalid(reservation, action)
    reservation.status = new_status
    if action != states.MISS:  # back to planning keeps the original approval time
        setattr(reservation, f"{new_status}_at", now)


def save_reservation(reservation: Reservation, *, actor, reason: str) -> None:
    attribute(reservation, actor=actor, reason=reason)
    reservation.save()
    events.publish(
        "reservation.status_changed",
        {"id": reservation.pk, "status": reservation.status, "item": reservation.item_id},
        reservation_groups(reservation),
    )


def reservation_groups(reservation: Reservation) -> list[str]:
    return [
        events.org_group(reservation.requester_id),
        events.org_group(reservation.item.owner_id),
        events.DEPARTMENT,
    ]


def save_item(item: Item, *, actor, reason: str) -> None:
    """Save the item's counters; an open item's status follows its units."""
    if item.status in OPEN_ITEM_STATUSES:
        item.status = item.status_from_quantities()
    attribute(item, actor=actor, reason=reason)
    item.save()
    # Catalogues drop an item once no unit is left, and show it again when units come back.
    groups = [events.DEPARTMENT, events.org_group(item.owner_id)]
    if item.status != Item.Status.DRAFT:
        groups.append(events.CATALOGUE)
    events.publish(
        "item.updated", {"id": item.pk, "status": item.status, "quantity_available": item.quantity_available}, groups
    )


def release(reservation: Reservation) -> None:
    """Give the reservation's units back to the lot (cancel, decline, expiry, return)."""
    reservation.item.quantity_reserved -= reservation.quantity


def cancel_locked(reservation: Reservation, *, actor, reason: str, action: str = states.CANCEL) -> None:
    """Cancel (or expire) a locked open reservation; the caller saves the item."""
    move(reservation, action, now=timezone.now())
    reservation.reason = reason
    release(reservation)
    save_reservation(reservation, actor=actor, reason=reason)
    settle_pickup(reservation, actor=actor)


def members(organisation_id: int, *roles: str) -> list:
    """Users holding one of ``roles`` in the organisation (whom notifications go to)."""
    memberships = Membership.objects.filter(organisation_id=organisation_id, role__in=roles).select_related("user")
    return [membership.user for membership in memberships]
