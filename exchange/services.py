"""Writes of the exchange: the reservation workflow, pickups, tours, needs and expiry.

Every function is atomic, keyword-only and takes the acting user (``None`` only for the
system: the expiry job). Each transition

1. locks the item row, then the reservation rows (always in that order, so two services
   never wait on each other crosswise) — ``select_for_update`` on PostgreSQL; on SQLite the
   IMMEDIATE transaction already holds the database's write lock;
2. checks permission (``exchange.permissions``) and the pipeline (``exchange.states``);
3. moves the item's counters and status, records history with a reason;
4. publishes its event and sends notifications after commit.

Pages, API, admin, commands and tasks call these; none of them changes a status by hand.
"""

import hmac
import logging
import secrets
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from inventory.errors import WorkflowError
from inventory.history import attribute
from inventory.models import Category, Item, Membership, Organisation, SiteSettings
from inventory.permissions import CLAIMING_ROLES

from . import eligibility, events, geo, impact, notifications, permissions, states, transfers
from .models import Beneficiary, Need, Notification, Pickup, Reservation, Tour, TransferException
from .tours import TourPlan, TourStop, tour_plan  # noqa: F401  (part of this module's interface)

logger = logging.getLogger(__name__)
Status = Reservation.Status
# Item statuses that follow their units (the others are set by people or by expiry).
OPEN_ITEM_STATUSES = (Item.Status.AVAILABLE, Item.Status.RESERVED, Item.Status.GONE)


#
# Locking and shared steps
#
def _lock_item(item_id: int) -> Item:
    return Item.objects.select_for_update().select_related("category", "owner").get(pk=item_id)


def _lock_reservation(reservation: Reservation) -> Reservation:
    """Lock the reservation's item, then the reservation itself; both fresh from the database."""
    item_id = Reservation.objects.values_list("item_id", flat=True).get(pk=reservation.pk)
    item = _lock_item(item_id)
    locked = Reservation.objects.select_for_update().get(pk=reservation.pk)
    locked.item = item
    return locked


def _lock_reservations(ids) -> list[Reservation]:
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


def _invalid(reservation: Reservation, action: str) -> WorkflowError:
    return WorkflowError(
        "invalid_transition",
        _("This reservation cannot be %(action)s now (status: %(status)s).")
        % {"action": _action_label(action), "status": reservation.get_status_display()},
    )


def _action_label(action: str) -> str:
    # A context of their own: "approved" is also the label of the approval date field.
    labels = {
        states.APPROVE: pgettext("transition", "approved"), states.DECLINE: pgettext("transition", "declined"),
        states.CANCEL: pgettext("transition", "cancelled"), states.SCHEDULE: pgettext("transition", "scheduled"),
        states.MISS: pgettext("transition", "sent back to planning"),
        states.COLLECT: pgettext("transition", "collected"), states.DELIVER: pgettext("transition", "delivered"),
        states.RETURN: pgettext("transition", "returned"), states.EXPIRE: pgettext("transition", "expired"),
    }
    return labels.get(action, action)


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _move(reservation: Reservation, action: str, *, now: datetime) -> None:
    """Apply ``action`` of the pipeline to the (locked) reservation, or refuse it."""
    new_status = states.next_status(reservation.status, action) if reservation.can(action) else None
    if new_status is None:
        raise _invalid(reservation, action)
    reservation.status = new_status
    if action != states.MISS:  # back to planning keeps the original approval time
        setattr(reservation, f"{new_status}_at", now)


def _save_reservation(reservation: Reservation, *, actor, reason: str) -> None:
    attribute(reservation, actor=actor, reason=reason)
    reservation.save()
    events.publish(
        "reservation.status_changed",
        {"id": reservation.pk, "status": reservation.status, "item": reservation.item_id},
        _reservation_groups(reservation),
    )


def _reservation_groups(reservation: Reservation) -> list[str]:
    return [
        events.org_group(reservation.requester_id),
        events.org_group(reservation.item.owner_id),
        events.DEPARTMENT,
    ]


def _save_item(item: Item, *, actor, reason: str) -> None:
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


def _release(reservation: Reservation) -> None:
    """Give the reservation's units back to the lot (cancel, decline, expiry, return)."""
    reservation.item.quantity_reserved -= reservation.quantity


def _cancel_locked(reservation: Reservation, *, actor, reason: str, action: str = states.CANCEL) -> None:
    """Cancel (or expire) a locked open reservation; the caller saves the item."""
    _move(reservation, action, now=timezone.now())
    reservation.reason = reason
    _release(reservation)
    _save_reservation(reservation, actor=actor, reason=reason)


def _members(organisation_id: int, *roles: str) -> list:
    """Users holding one of ``roles`` in the organisation (whom notifications go to)."""
    memberships = Membership.objects.filter(organisation_id=organisation_id, role__in=roles).select_related("user")
    return [membership.user for membership in memberships]


#
# Reservations
#
@transaction.atomic
def reservation_create(
    *,
    actor,
    item: Item,
    requester: Organisation,
    quantity: int,
    mode: str = Reservation.Mode.DONATION,
    return_by: date | None = None,
    purpose: str = "",
    need: Need | None = None,
) -> Reservation:
    """Claim ``quantity`` units of ``item`` for ``requester`` (a donation, or a loan until ``return_by``).

    The quantity check and the counter update happen under the item's row lock, so two
    claims can never take the same unit.

    Raises:
        PermissionDenied: ``actor`` may not claim for ``requester``.
        WorkflowError: ``own_item``, ``item_not_available``, ``medical_item``, ``internal_first``,
            ``transfer_not_eligible``, ``transfer_over_ceiling`` (``exchange.eligibility``),
            ``return_date_required``, ``not_enough_units``.
        ValidationError: a quantity below 1, a return date in the past, a need of another
            organisation or no longer open.
    """
    _require(permissions.can_claim_for(actor, requester), _("You may not claim items for this organisation."))
    if quantity is None or int(quantity) < 1:
        raise ValidationError({"quantity": _("Claim at least one unit.")})
    quantity = int(quantity)
    if mode not in Reservation.Mode.values:
        raise ValidationError({"mode": _("Unknown mode.")})
    item = _lock_item(item.pk)
    today = timezone.localdate()
    if item.owner_id == requester.pk:
        raise WorkflowError("own_item", _("An organisation cannot claim its own items."))
    if (
        item.status not in (Item.Status.AVAILABLE, Item.Status.RESERVED)
        or (item.available_from and item.available_from > today)
        or (item.available_until and item.available_until < today)  # the expiry job has not run yet
    ):
        raise WorkflowError("item_not_available", _("This item is not available for claims."))
    # The public-sector rules, as data in ``exchange.eligibility``: medical aids, the
    # internal-first release window, then the property code's transfer rules.
    eligibility.check_medical(item=item, receiver=requester)
    eligibility.check_release(item=item, receiver=requester)
    decision = eligibility.check_transfer(item=item, receiver=requester, loan=mode == Reservation.Mode.LOAN)
    if mode == Reservation.Mode.LOAN:
        if not return_by:
            raise WorkflowError("return_date_required", _("A loan needs a return date."))
        if return_by < today:
            raise ValidationError({"return_by": _("The return date is in the past.")})
    else:
        return_by = None
    if need is not None:
        if need.organisation_id != requester.pk:
            raise ValidationError({"need": _("This need belongs to another organisation.")})
        if need.status != Need.Status.OPEN:
            raise ValidationError({"need": _("This need is no longer open.")})
    if quantity > item.quantity_available:
        raise WorkflowError(
            "not_enough_units", _("Only %(n)s unit(s) left to claim.") % {"n": item.quantity_available},
        )

    item.quantity_reserved += quantity
    _save_item(item, actor=actor, reason=_("%(n)s unit(s) claimed by %(org)s") % {"n": quantity, "org": requester})
    reservation = Reservation(
        item=item, requester=requester, requested_by=actor, quantity=quantity, mode=mode,
        return_by=return_by, purpose=purpose or "", need=need,
        transfer_rule=decision.code, legal_basis=decision.basis,
    )
    attribute(reservation, actor=actor, reason=_("Claimed"))
    reservation.save()
    events.publish(
        "reservation.created",
        {"id": reservation.pk, "status": reservation.status, "item": item.pk},
        _reservation_groups(reservation),
    )
    notifications.notify(
        users=_members(item.owner_id, Membership.Role.STAFF), kind=Notification.Kind.CLAIM_CREATED, obj=reservation,
        context={"reservation": reservation},
    )
    return reservation


@transaction.atomic
def reservation_approve(*, actor, reservation: Reservation) -> Reservation:
    """The giver accepts a claim; a 6-digit handover code is drawn for the collection.

    Raises:
        PermissionDenied: ``actor`` is not staff of the item's owner.
        WorkflowError: ``invalid_transition`` unless requested.
    """
    reservation = _lock_reservation(reservation)
    _require(permissions.can_approve(actor, reservation), _("Only the giver's staff may approve a claim."))
    _move(reservation, states.APPROVE, now=timezone.now())
    # secrets, not random: the code proves the volunteer was really on site.
    reservation.handover_code = f"{secrets.randbelow(1_000_000):06d}"
    _save_reservation(reservation, actor=actor, reason=_("Approved"))
    notifications.notify(
        users=[reservation.requested_by, *_members(reservation.requester_id, Membership.Role.COORDINATOR)],
        kind=Notification.Kind.CLAIM_APPROVED, obj=reservation, context={"reservation": reservation},
    )
    return reservation


@transaction.atomic
def reservation_decline(*, actor, reservation: Reservation, reason: str) -> Reservation:
    """The giver refuses a claim; its units go back to the lot.

    Raises:
        PermissionDenied: ``actor`` is not staff of the item's owner.
        WorkflowError: ``invalid_transition`` unless requested.
    """
    reservation = _lock_reservation(reservation)
    _require(permissions.can_decline(actor, reservation), _("Only the giver's staff may decline a claim."))
    _move(reservation, states.DECLINE, now=timezone.now())
    reservation.reason = reason or ""
    _release(reservation)
    _save_reservation(reservation, actor=actor, reason=reason or _("Declined"))
    _save_item(reservation.item, actor=actor, reason=_("Claim #%(id)s declined") % {"id": reservation.pk})
    notifications.notify(
        users=[reservation.requested_by, *_members(reservation.requester_id, Membership.Role.COORDINATOR)],
        kind=Notification.Kind.CLAIM_DECLINED, obj=reservation, context={"reservation": reservation},
    )
    return reservation


@transaction.atomic
def reservation_cancel(*, actor, reservation: Reservation, reason: str) -> Reservation:
    """Either side calls a claim off before it is collected; its units go back to the lot.

    Raises:
        PermissionDenied: ``actor`` is on neither side.
        WorkflowError: ``invalid_transition`` once collected (or already closed).
    """
    reservation = _lock_reservation(reservation)
    _require(permissions.can_cancel(actor, reservation), _("You may not cancel this reservation."))
    _cancel_locked(reservation, actor=actor, reason=reason or _("Cancelled"))
    _save_item(reservation.item, actor=actor, reason=_("Claim #%(id)s cancelled") % {"id": reservation.pk})
    return reservation


@transaction.atomic
def reservation_collect(
    *, actor, reservation: Reservation, handover_code: str, signature: str | None = None,
) -> Reservation:
    """The volunteer on site takes the units, proving it with the giver's handover code; the
    transfer record is issued, with ``signature`` (a PNG data URL drawn at the door) if given.

    Raises:
        PermissionDenied: ``actor`` is neither a member of the requester nor on the pickup.
        WorkflowError: ``invalid_transition`` unless scheduled, ``wrong_handover_code``.
        ValidationError: ``signature`` is not a small PNG data URL.
    """
    reservation = _lock_reservation(reservation)
    _require(permissions.can_collect(actor, reservation), _("You may not collect this reservation."))
    signature_png = transfers.signature_png(signature) if signature else None
    if not reservation.can(states.COLLECT):
        raise _invalid(reservation, states.COLLECT)
    given = str(handover_code or "").strip().encode()
    if not reservation.handover_code or not hmac.compare_digest(given, reservation.handover_code.encode()):
        raise WorkflowError("wrong_handover_code", _("The handover code is not right."))
    _move(reservation, states.COLLECT, now=timezone.now())
    _save_reservation(reservation, actor=actor, reason=_("Collected"))
    transfers.transfer_record_issue(reservation=reservation, actor=actor, signature_png=signature_png,
                                    handover_code_checked=True)
    return reservation


@transaction.atomic
def reservation_deliver(*, actor, reservation: Reservation) -> Reservation:
    """The units reached their new home: a donation is transferred for good and written to
    the impact ledger; a loan keeps its units held until it is returned.

    Raises:
        PermissionDenied: ``actor`` is neither a member of the requester nor on the pickup.
        WorkflowError: ``invalid_transition`` unless collected.
    """
    reservation = _lock_reservation(reservation)
    _require(permissions.can_deliver(actor, reservation), _("You may not deliver this reservation."))
    _move(reservation, states.DELIVER, now=timezone.now())
    _save_reservation(reservation, actor=actor, reason=_("Delivered"))
    if not reservation.is_loan:
        item = reservation.item
        item.quantity_reserved -= reservation.quantity
        item.quantity_transferred += reservation.quantity
        _save_item(item, actor=actor, reason=_("%(n)s unit(s) given to %(org)s") % {
            "n": reservation.quantity, "org": reservation.requester})
        _record_impact(reservation)
    if reservation.need_id:
        _progress_need(reservation, actor=actor)
    return reservation


@transaction.atomic
def reservation_record_refurbishment(*, actor, reservation: Reservation, notes: str) -> Reservation:
    """The certified refurbisher records that a delivered medical aid was refurbished (what
    was checked, replaced, cleaned) before it may move on.

    Raises:
        PermissionDenied: ``actor`` is not a member of the requesting refurbisher.
        WorkflowError: ``not_medical`` for other items, ``invalid_transition`` unless delivered
            or already recorded.
        ValidationError: no notes.
    """
    reservation = _lock_reservation(reservation)
    _require(permissions.can_record_refurbishment(actor, reservation),
             _("Only the certified refurbisher that received this item may record its refurbishment."))
    if not reservation.item.category.is_medical:
        raise WorkflowError("not_medical", _("Only medical devices and technical aids are refurbished here."))
    if reservation.status != Status.DELIVERED or reservation.refurbished_at is not None:
        raise WorkflowError("invalid_transition", _("Refurbishment is recorded once, after delivery."))
    if not (notes or "").strip():
        raise ValidationError({"notes": _("Say what was done.")})
    reservation.refurbished_at = timezone.now()
    reservation.refurbishment_notes = notes.strip()
    _save_reservation(reservation, actor=actor, reason=_("Refurbishment recorded"))
    return reservation


@transaction.atomic
def transfer_exception_grant(*, actor, item: Item, requester: Organisation, reason: str) -> TransferException:
    """A département manager lets ``item`` go to ``requester`` although the transfer rules
    would refuse it; the claim service then honours it. Kept in history.

    Raises:
        PermissionDenied: ``actor`` is not a manager of the département.
        ValidationError: no reason.
    """
    _require(permissions.can_grant_transfer_exception(actor),
             _("Only a manager of the département may record an exception."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason for the exception.")})
    exception = TransferException(item=item, requester=requester, reason=reason.strip(), granted_by=actor)
    attribute(exception, actor=actor, reason=_("Exception recorded: %(reason)s") % {"reason": exception.reason})
    exception.save()
    return exception


@transaction.atomic
def reservation_return(*, actor, reservation: Reservation) -> Reservation:
    """The giver confirms a loan came back; its units return to the lot and the pooled use
    is written to the impact ledger.

    Raises:
        PermissionDenied: ``actor`` is not staff of the item's owner.
        WorkflowError: ``not_a_loan`` for a donation, ``invalid_transition`` unless delivered.
    """
    reservation = _lock_reservation(reservation)
    _require(permissions.can_return(actor, reservation), _("Only the giver's staff may confirm a return."))
    if not reservation.is_loan:
        raise WorkflowError("not_a_loan", _("Only a loan can be returned."))
    _move(reservation, states.RETURN, now=timezone.now())
    _release(reservation)
    _save_reservation(reservation, actor=actor, reason=_("Returned"))
    _save_item(reservation.item, actor=actor, reason=_("Loan #%(id)s returned") % {"id": reservation.pk})
    _record_impact(reservation)
    return reservation


def _record_impact(reservation: Reservation) -> None:
    record = impact.impact_record_for(reservation)
    events.publish(
        "impact.recorded",
        {"id": record.pk, "reservation": reservation.pk, "kind": record.kind},
        [events.DEPARTMENT, events.org_group(record.giver_id), events.org_group(record.receiver_id)],
    )


def _progress_need(reservation: Reservation, *, actor) -> None:
    need = Need.objects.select_for_update().get(pk=reservation.need_id)
    need.quantity_met += reservation.quantity
    if need.status == Need.Status.OPEN and need.quantity_met >= need.quantity:
        need.status = Need.Status.MET
    attribute(need, actor=actor, reason=_("%(n)s unit(s) delivered by claim #%(id)s") % {
        "n": reservation.quantity, "id": reservation.pk})
    need.save()


#
# Items leaving the catalogue
#
@transaction.atomic
def item_withdraw(*, actor, item: Item, reason: str = "") -> Item:
    """Take an item out of the catalogue for good; its open claims are cancelled.

    Collected claims go on to delivery: the units have already left the giver's site.

    Raises:
        PermissionDenied: ``actor`` is not staff of the owner.
        WorkflowError: ``invalid_transition`` once gone, withdrawn or expired.
    """
    item = _lock_item(item.pk)
    _require(permissions.can_withdraw(actor, item), _("Only the staff of the owning organisation may withdraw it."))
    if item.status not in (Item.Status.DRAFT, Item.Status.AVAILABLE, Item.Status.RESERVED):
        raise WorkflowError(
            "invalid_transition", _("This item cannot be withdrawn (status: %(status)s).")
            % {"status": item.get_status_display()},
        )
    cancel_reason = reason or _("The item was withdrawn by its owner.")
    _close_item(item, status=Item.Status.WITHDRAWN, actor=actor, reason=cancel_reason)
    events.publish(
        "item.withdrawn", {"id": item.pk, "status": item.status},
        [events.CATALOGUE, events.DEPARTMENT, events.org_group(item.owner_id)],
    )
    return item


def _close_item(item: Item, *, status: str, actor, reason: str) -> None:
    """Withdraw or expire a locked item, cancelling its open claims with ``reason``."""
    for reservation in Reservation.objects.select_for_update().filter(item=item).open().order_by("pk"):
        reservation.item = item
        _cancel_locked(reservation, actor=actor, reason=reason)
    item.status = status
    attribute(item, actor=actor, reason=reason)
    item.save()


#
# Pickups
#
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
    locked = _lock_reservations(ids)
    if len(locked) != len(set(ids)):
        raise ValidationError({"reservations": _("Unknown reservation.")})
    requesters = {r.requester_id for r in locked}
    for requester_id in requesters:
        _require(permissions.is_coordinator(actor, requester_id),
                 _("Only the association's coordinators may plan its pickups."))
    if len(requesters) > 1:
        raise ValidationError({"reservations": _("A pickup collects the reservations of one organisation.")})
    if len({r.item.owner_id for r in locked}) > 1:
        raise WorkflowError("mixed_givers", _("A pickup collects at one giver's site only."))
    for reservation in locked:
        if not reservation.can(states.SCHEDULE):
            raise _invalid(reservation, states.SCHEDULE)
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
        _move(reservation, states.SCHEDULE, now=now)
        reservation.pickup = pickup
        _save_reservation(reservation, actor=actor, reason=_("Scheduled for pickup #%(id)s") % {"id": pickup.pk})
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
    _require(permissions.can_manage_pickup(actor, pickup), _("Only the association's coordinators may change it."))
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
    _require(permissions.can_manage_pickup(actor, pickup), _("Only the association's coordinators may close it."))
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
    locked = _lock_reservations(waiting)
    pickup = _lock_pickup(pickup)
    _require(permissions.can_manage_pickup(actor, pickup), _("Only the association's coordinators may record it."))
    _require_planned(pickup)
    now = timezone.now()
    for reservation in locked:
        if reservation.status == Status.SCHEDULED:  # re-checked under the lock
            _move(reservation, states.MISS, now=now)
            _save_reservation(reservation, actor=actor, reason=_("Pickup #%(id)s missed") % {"id": pickup.pk})
    pickup.status = Pickup.Status.MISSED
    attribute(pickup, actor=actor, reason=_("Pickup missed"))
    pickup.save()
    return pickup


#
# Tours
#
@transaction.atomic
def tour_create(*, actor, organisation: Organisation, date: date, capacity_kg, capacity_m3, pickups) -> Tour:
    """A day's run of the association's vehicle through planned pickups, in the given order.

    Raises:
        PermissionDenied: ``actor`` is not a coordinator of ``organisation``.
        ValidationError: a pickup of another association or no longer planned, bad capacities.
    """
    _require(permissions.is_coordinator(actor, organisation), _("Only the association's coordinators plan tours."))
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
    _require(permissions.can_manage_tour(actor, tour), _("Only the association's coordinators plan tours."))
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
# Needs
#
@transaction.atomic
def need_create(
    *, actor, organisation: Organisation, category: Category, quantity: int, description: str,
    beneficiary: str, deadline: date | None = None,
) -> Need:
    """Publish what an organisation is looking for; matching new items will be announced to it.

    Raises:
        PermissionDenied: ``actor`` may not claim for ``organisation``.
        ValidationError: a quantity below 1, an unknown beneficiary public, a past deadline.
    """
    _require(permissions.can_publish_need_for(actor, organisation),
             _("You may not publish needs for this organisation."))
    if deadline and deadline < timezone.localdate():
        raise ValidationError({"deadline": _("The deadline is in the past.")})
    if beneficiary not in Beneficiary.values:
        raise ValidationError({"beneficiary": _("Unknown beneficiary public.")})
    need = Need(organisation=organisation, category=category, quantity=quantity, description=description or "",
                beneficiary=beneficiary, deadline=deadline, created_by=actor)
    need.full_clean()
    attribute(need, actor=actor, reason=_("Need published"))
    need.save()
    return need


@transaction.atomic
def need_close(*, actor, need: Need) -> Need:
    """Stop looking: the need leaves the list of open needs.

    Raises:
        PermissionDenied: ``actor`` may not act for the need's organisation.
        WorkflowError: ``invalid_transition`` unless open.
    """
    need = Need.objects.select_for_update().get(pk=need.pk)
    _require(permissions.can_close_need(actor, need), _("You may not close this need."))
    if need.status != Need.Status.OPEN:
        raise WorkflowError("invalid_transition", _("This need is already %(status)s.") % {
            "status": need.get_status_display()})
    need.status = Need.Status.CLOSED
    attribute(need, actor=actor, reason=_("Need closed"))
    need.save()
    return need


def _category_and_ancestors(category: Category) -> list[int]:
    ids, node = [], category
    while node is not None:
        ids.append(node.pk)
        node = node.parent
    return ids


@transaction.atomic
def announce_item_to_needs(*, item: Item) -> list[Need]:
    """Tell each organisation with an open need in the item's category (or a parent
    category) that it was just published. Called from ``inventory.services.item_publish``
    through ``inventory.hooks``; also sends the ``item.published`` event.

    Raises:
        Nothing: announcing is best effort inside the publishing transaction.
    """
    events.publish(
        "item.published", {"id": item.pk, "status": item.status},
        [events.CATALOGUE, events.DEPARTMENT, events.org_group(item.owner_id)],
    )
    needs = list(
        Need.objects.filter(status=Need.Status.OPEN, category__in=_category_and_ancestors(item.category))
        .filter(Q(deadline__isnull=True) | Q(deadline__gte=timezone.localdate()))
        .exclude(organisation_id=item.owner_id)
        .select_related("organisation", "category")
    )
    if item.category.is_medical:  # nobody else may claim it, so do not raise hopes
        needs = [need for need in needs if need.organisation.is_certified_refurbisher]
    for need in needs:
        events.publish("need.matched", {"id": need.pk, "item": item.pk}, [events.org_group(need.organisation_id)])
        notifications.notify(
            users=_members(need.organisation_id, *CLAIMING_ROLES), kind=Notification.Kind.NEED_MATCHED, obj=need,
            context={"need": need, "item": item},
        )
    return needs


#
# Notifications
#
@transaction.atomic
def notifications_mark_read(*, actor, ids=None) -> int:
    """Mark the actor's notifications read (all of them when ``ids`` is None); returns how many.

    Raises:
        Nothing: other users' ids are ignored.
    """
    unread = Notification.objects.filter(user=actor, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())  # no history on notifications


#
# Expiry (manage.py expire, and the daily task)
#
def expire_due(*, today: date | None = None) -> dict:
    """Expire what is due; each item or claim in its own transaction so one failure stops
    nothing else.

    - Open items (available/reserved) past ``available_until`` become ``expired``; their
      open claims are cancelled with a reason (collected ones go on to delivery).
    - Approved claims neither collected nor scheduled within the claim-expiry delay
      of their approval (or of a missed pickup) expire and free their units.

    Returns ``{"items_expired": n, "reservations_cancelled": n, "reservations_expired": n}``.

    Raises:
        Nothing: a failing row is logged and skipped.
    """
    today = today or timezone.localdate()
    result = {"items_expired": 0, "reservations_cancelled": 0, "reservations_expired": 0}

    due_items = Item.objects.filter(
        status__in=(Item.Status.AVAILABLE, Item.Status.RESERVED), available_until__lt=today,
    ).values_list("pk", flat=True)
    for item_id in list(due_items):
        try:
            with transaction.atomic():
                item = _lock_item(item_id)
                if item.status not in (Item.Status.AVAILABLE, Item.Status.RESERVED):
                    continue  # changed meanwhile
                open_claims = Reservation.objects.filter(item=item).open().count()
                _close_item(item, status=Item.Status.EXPIRED, actor=None,
                            reason=_("The item's availability ended on %(date)s.") % {"date": item.available_until})
                events.publish(
                    "item.withdrawn", {"id": item.pk, "status": item.status},
                    [events.CATALOGUE, events.DEPARTMENT, events.org_group(item.owner_id)],
                )
            result["items_expired"] += 1
            result["reservations_cancelled"] += open_claims
        except Exception:
            logger.exception("could not expire item %s", item_id)

    days = SiteSettings.current().claim_expiry_days  # the managers' setting, else settings.py
    start_of_today = timezone.make_aware(datetime.combine(today, datetime.min.time()))
    cutoff = start_of_today - timedelta(days=days)
    due_claims = Reservation.objects.filter(status=Status.APPROVED, approved_at__lt=cutoff).filter(
        Q(scheduled_at__isnull=True) | Q(scheduled_at__lt=cutoff)
    ).values_list("pk", flat=True)
    for reservation_id in list(due_claims):
        try:
            with transaction.atomic():
                reservation = _lock_reservation(Reservation(pk=reservation_id))
                if reservation.status != Status.APPROVED:
                    continue
                _cancel_locked(
                    reservation, actor=None, action=states.EXPIRE,
                    reason=_("Not collected within %(days)s days of approval.") % {"days": days},
                )
                _save_item(reservation.item, actor=None,
                           reason=_("Claim #%(id)s expired") % {"id": reservation.pk})
            result["reservations_expired"] += 1
        except Exception:
            logger.exception("could not expire reservation %s", reservation_id)
    return result
