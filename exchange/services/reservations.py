"""The reservation workflow: claim, approve, decline, cancel, collect, deliver, return."""

import hmac
import secrets
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from inventory.errors import WorkflowError
from inventory.history import attribute
from inventory.models import Item, Membership, Organisation

from .. import eligibility, events, impact, notifications, permissions, states, transfers
from ..models import Need, Notification, Reservation, TransferException
from . import feedback
from .base import (
    cancel_locked,
    clean_reason,
    invalid,
    lock_item,
    lock_reservation,
    members,
    move,
    release,
    require,
    require_may,
    reservation_groups,
    save_item,
    save_reservation,
    settle_pickup,
)

Status = Reservation.Status


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
    require(permissions.can_claim_for(actor, requester), _("You may not claim items for this organisation."))
    if quantity is None or int(quantity) < 1:
        raise ValidationError({"quantity": _("Claim at least one unit.")})
    quantity = int(quantity)
    if mode not in Reservation.Mode.values:
        raise ValidationError({"mode": _("Unknown mode.")})
    item = lock_item(item.pk)
    today = timezone.localdate()
    if item.owner_id == requester.pk:
        raise WorkflowError("own_item", _("An organisation cannot claim its own items."))
    if not item.is_claimable(on=today):  # also before the expiry job has run on a past end date
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
    save_item(item, actor=actor, reason=_("%(n)s unit(s) claimed by %(org)s") % {"n": quantity, "org": requester})
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
        reservation_groups(reservation),
    )
    notifications.notify(
        users=members(item.owner_id, Membership.Role.STAFF), kind=Notification.Kind.CLAIM_CREATED, obj=reservation,
        context={"reservation": reservation},
    )
    return reservation


@transaction.atomic
def reservation_approve(*, actor, reservation: Reservation) -> Reservation:
    """The giver accepts a claim; a 6-digit handover code is drawn for the collection.

    Raises:
        PermissionDenied: ``actor`` is not staff of the item's owner; ``Forbidden``
            ``separation_of_duties`` when it also belongs to the claiming organisation.
        WorkflowError: ``invalid_transition`` unless requested.
    """
    reservation = lock_reservation(reservation)
    require_may(actor, reservation, states.APPROVE)
    move(reservation, states.APPROVE, now=timezone.now())
    reservation.handover_code = _new_handover_code()
    save_reservation(reservation, actor=actor, reason=_("Approved"))
    notifications.notify(
        users=[reservation.requested_by, *members(reservation.requester_id, Membership.Role.COORDINATOR)],
        kind=Notification.Kind.CLAIM_APPROVED, obj=reservation, context={"reservation": reservation},
    )
    return reservation


@transaction.atomic
def reservation_decline(*, actor, reservation: Reservation, reason: str) -> Reservation:
    """The giver refuses a claim; its units go back to the lot.

    Raises:
        PermissionDenied: ``actor`` is not staff of the item's owner.
        WorkflowError: ``invalid_transition`` unless requested.
        ValidationError: a reason over 1,000 characters.
    """
    reservation = lock_reservation(reservation)
    require_may(actor, reservation, states.DECLINE)
    reason = clean_reason(reason)
    move(reservation, states.DECLINE, now=timezone.now())
    reservation.reason = reason or ""
    release(reservation)
    save_reservation(reservation, actor=actor, reason=reason or _("Declined"))
    save_item(reservation.item, actor=actor, reason=_("Claim #%(id)s declined") % {"id": reservation.pk})
    notifications.notify(
        users=[reservation.requested_by, *members(reservation.requester_id, Membership.Role.COORDINATOR)],
        kind=Notification.Kind.CLAIM_DECLINED, obj=reservation, context={"reservation": reservation},
    )
    return reservation


@transaction.atomic
def reservation_cancel(*, actor, reservation: Reservation, reason: str) -> Reservation:
    """Either side calls a claim off before it is collected; its units go back to the lot.

    Raises:
        PermissionDenied: ``actor`` is on neither side.
        WorkflowError: ``invalid_transition`` once collected (or already closed).
        ValidationError: a reason over 1,000 characters.
    """
    reservation = lock_reservation(reservation)
    require_may(actor, reservation, states.CANCEL)
    reason = clean_reason(reason)
    cancel_locked(reservation, actor=actor, reason=reason or _("Cancelled"))
    save_item(reservation.item, actor=actor, reason=_("Claim #%(id)s cancelled") % {"id": reservation.pk})
    return reservation


# Wrong codes a claim takes before its code is replaced (API.md: "Handover codes resist guessing").
HANDOVER_CODE_TRIES = 5


def _new_handover_code() -> str:
    # secrets, not random: the code proves the volunteer was really on site.
    return f"{secrets.randbelow(1_000_000):06d}"


def reservation_collect(
    *, actor, reservation: Reservation, handover_code: str, signature: str | None = None,
    weight_kg: Decimal | None = None,
) -> Reservation:
    """The volunteer on site takes the units, proving it with the giver's handover code; the
    transfer record is issued, with ``signature`` (a PNG data URL drawn at the door) if given,
    and the pickup closes itself once nothing of it waits to be collected. ``weight_kg``, what
    the volunteer weighed, is kept on the claim: its impact record then counts it rather than
    the estimate (``exchange.impact``).

    A wrong code is counted, and kept even though the call fails (its own transaction):
    after ``HANDOVER_CODE_TRIES`` the code is replaced, the old one stops working and the
    giver's staff are notified (they alone see the new one).

    Raises:
        PermissionDenied: ``actor`` is not a member of the requester; ``Forbidden``
            ``separation_of_duties`` when it is staff of the giver.
        WorkflowError: ``invalid_transition`` unless scheduled, ``wrong_handover_code``.
        ValidationError: ``signature`` is not a small PNG data URL; ``weight_kg`` is not a
            weight above 0 and up to ``Reservation.WEIGHT_MAX_KG``.
    """
    with transaction.atomic():
        reservation = lock_reservation(reservation)
        require_may(actor, reservation, states.COLLECT)
        signature_png = transfers.signature_png(signature) if signature else None
        weight_kg = clean_weight(weight_kg)
        if not reservation.can(states.COLLECT):
            raise invalid(reservation, states.COLLECT)
        given = str(handover_code or "").strip().encode()
        if hmac.compare_digest(given, reservation.handover_code.encode()):
            move(reservation, states.COLLECT, now=timezone.now())
            reservation.handover_failures = 0
            reservation.weight_kg = weight_kg
            save_reservation(reservation, actor=actor, reason=_("Collected"))
            transfers.transfer_record_issue(reservation=reservation, actor=actor, signature_png=signature_png,
                                            handover_code_checked=True)
            settle_pickup(reservation, actor=actor)
            return reservation
        replaced = _count_wrong_code(reservation, actor=actor)
    if replaced:
        raise WorkflowError("wrong_handover_code", _(
            "The handover code is not right. After %(n)s wrong tries it was replaced: ask the giver's staff "
            "for the new one.") % {"n": HANDOVER_CODE_TRIES})
    raise WorkflowError("wrong_handover_code", _("The handover code is not right."))


WEIGHT_STEP = Decimal("0.01")


def clean_weight(weight_kg) -> Decimal | None:
    """A weight measured at collection as kept on the claim (kg, two decimals), or None.

    Raises:
        ValidationError: not a number, not above 0, or above ``Reservation.WEIGHT_MAX_KG``.
    """
    if weight_kg is None or weight_kg == "":
        return None
    try:
        weight = Decimal(str(weight_kg).replace(",", ".")).quantize(WEIGHT_STEP, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        raise ValidationError({"weight_kg": _("Give the weight in kilograms, e.g. 12.5.")}) from None
    if not weight.is_finite() or weight <= 0:
        raise ValidationError({"weight_kg": _("The weight must be more than 0 kg.")})
    if weight > Reservation.WEIGHT_MAX_KG:
        raise ValidationError({"weight_kg": _(
            "%(kg)s kg is more than a van carries (%(max)s kg at most): check the weight."
        ) % {"kg": number_format(weight, use_l10n=True), "max": number_format(Reservation.WEIGHT_MAX_KG, 0)}})
    return weight


def _count_wrong_code(reservation: Reservation, *, actor) -> bool:
    """Count a wrong try on the locked reservation; replace the code at the limit (returns True)."""
    reservation.handover_failures += 1
    if reservation.handover_failures < HANDOVER_CODE_TRIES:
        save_reservation(reservation, actor=actor, reason=_("Wrong handover code (%(n)s of %(max)s)") % {
            "n": reservation.handover_failures, "max": HANDOVER_CODE_TRIES})
        return False
    reservation.handover_code = _new_handover_code()
    reservation.handover_failures = 0
    save_reservation(reservation, actor=actor, reason=_("Handover code replaced after %(n)s wrong tries") % {
        "n": HANDOVER_CODE_TRIES})
    notifications.notify(
        users=members(reservation.item.owner_id, Membership.Role.STAFF), kind=Notification.Kind.CODE_REPLACED,
        obj=reservation, context={"reservation": reservation, "tries": HANDOVER_CODE_TRIES},
    )
    return True


@transaction.atomic
def reservation_deliver(*, actor, reservation: Reservation) -> Reservation:
    """The units reached their new home: a donation is transferred for good and written to
    the impact ledger; a loan keeps its units held until it is returned.

    Raises:
        PermissionDenied: ``actor`` is neither a member of the requester nor on the pickup.
        WorkflowError: ``invalid_transition`` unless collected.
    """
    reservation = lock_reservation(reservation)
    require_may(actor, reservation, states.DELIVER)
    move(reservation, states.DELIVER, now=timezone.now())
    save_reservation(reservation, actor=actor, reason=_("Delivered"))
    if not reservation.is_loan:
        item = reservation.item
        item.quantity_reserved -= reservation.quantity
        item.quantity_transferred += reservation.quantity
        save_item(item, actor=actor, reason=_("%(n)s unit(s) given to %(org)s") % {
            "n": reservation.quantity, "org": reservation.requester})
        _record_impact(reservation)
    if reservation.need_id:
        _progress_need(reservation, actor=actor)
    feedback.request_feedback(reservation)
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
    reservation = lock_reservation(reservation)
    require_may(actor, reservation, states.REFURBISH)
    if not reservation.item.category.is_medical:
        raise WorkflowError("not_medical", _("Only medical devices and technical aids are refurbished here."))
    if reservation.status != Status.DELIVERED or reservation.refurbished_at is not None:
        raise WorkflowError("invalid_transition", _("Refurbishment is recorded once, after delivery."))
    if not (notes or "").strip():
        raise ValidationError({"notes": _("Say what was done.")})
    reservation.refurbished_at = timezone.now()
    reservation.refurbishment_notes = notes.strip()
    save_reservation(reservation, actor=actor, reason=_("Refurbishment recorded"))
    return reservation


@transaction.atomic
def transfer_exception_grant(*, actor, item: Item, requester: Organisation, reason: str) -> TransferException:
    """A département manager lets ``item`` go to ``requester`` although the transfer rules
    would refuse it; the claim service then honours it. Kept in history.

    Raises:
        PermissionDenied: ``actor`` is not a manager of the département.
        ValidationError: no reason, or one over 1,000 characters.
    """
    require(permissions.can_grant_transfer_exception(actor),
             _("Only a manager of the département may record an exception."))
    reason = clean_reason(reason)
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the exception.")})
    exception = TransferException(item=item, requester=requester, reason=reason, granted_by=actor)
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
    reservation = lock_reservation(reservation)
    require_may(actor, reservation, states.RETURN)
    if not reservation.is_loan:
        raise WorkflowError("not_a_loan", _("Only a loan can be returned."))
    move(reservation, states.RETURN, now=timezone.now())
    release(reservation)
    save_reservation(reservation, actor=actor, reason=_("Returned"))
    save_item(reservation.item, actor=actor, reason=_("Loan #%(id)s returned") % {"id": reservation.pk})
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
