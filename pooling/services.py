"""Writes of shared equipment: booking rules, bookings and their workflow, labels, reminders.

Every function is atomic, keyword-only and takes the acting user (``None`` only for the
system: the reminders job). Each transition, as the exchange's do (``exchange.services``),

1. locks the item row, then the booking row — always in that order;
2. checks permission (``pooling.permissions``) and the pipeline (``pooling.states``, a
   ``Pipeline`` of ``exchange.states``);
3. records history with a reason (``inventory.history.attribute``);
4. publishes its event after commit (``exchange.events.publish``) and notifies.

No two holding bookings hold the same units on the same day: the sum is checked under the
item's row lock (``select_for_update`` on PostgreSQL; on SQLite the IMMEDIATE transaction
holds the database's write lock), and on PostgreSQL an exclusion constraint refuses two
overlapping bookings of a single-unit item whatever code writes them.
"""

import logging
import uuid
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from exchange import events, notifications
from exchange.models import Notification
from exchange.services.base import lock_item, lock_with_item, members
from inventory.errors import WorkflowError
from inventory.history import attribute
from inventory.images import process_photo
from inventory.models import Item, Membership, Organisation

from . import permissions, selectors, states
from .models import MAX_REPEAT_WEEKS, Booking, BookingRules, Label

logger = logging.getLogger(__name__)
Status = Booking.Status
Kind = Notification.Kind
Role = Membership.Role


def _day(value: date) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def booking_groups(booking: Booking) -> list[str]:
    return [events.org_group(booking.requester_id), events.org_group(booking.item.owner_id), events.DEPARTMENT]


def _publish(event_type: str, booking: Booking) -> None:
    events.publish(
        event_type,
        {"id": booking.pk, "status": booking.status, "item": booking.item_id,
         "start": booking.start.isoformat(), "end": booking.end.isoformat()},
        booking_groups(booking),
    )


def _owner_side(booking: Booking) -> list:
    return members(booking.item.owner_id, Role.STAFF)


def _booker_side(booking: Booking) -> list:
    return [booking.booked_by, *members(booking.requester_id, Role.STAFF)]


def _clean_text(value: str | None, *, field: str, limit: int) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise ValidationError({field: _("Keep it to %(n)s characters at most (it has %(length)s).")
                               % {"n": limit, "length": len(value)}})
    return value


#
# Booking rules and labels
#
@transaction.atomic
def booking_rules_update(
    *, actor, item: Item, auto_approve: bool, max_days: int, lead_days: int,
    audience: str = BookingRules.Audience.MEMBERS, organisations=(),
) -> BookingRules:
    """Set how ``item`` is booked (kept in history).

    Raises:
        PermissionDenied: ``actor`` is not staff of the item's owner.
        WorkflowError: ``not_shared`` for an item to give.
        ValidationError: a value out of range, or named organisations missing.
    """
    if not permissions.can_manage_sharing(actor, item):
        raise PermissionDenied(_("Only the owner's staff may change how its items are booked."))
    item = lock_item(item.pk)
    if not item.is_shared:
        raise WorkflowError("not_shared", _("Only a shared item has booking rules."))
    organisations = list(organisations or [])
    if audience == BookingRules.Audience.NAMED and not organisations:
        raise ValidationError({"organisations": _("Name at least one organisation that may book it.")})
    rules = BookingRules.objects.select_for_update().filter(item=item).first() or BookingRules(item=item)
    rules.auto_approve, rules.max_days, rules.lead_days, rules.audience = auto_approve, max_days, lead_days, audience
    rules.full_clean()
    attribute(rules, actor=actor, reason=_("Booking rules changed"))
    rules.save()
    rules.organisations.set(organisations if audience == BookingRules.Audience.NAMED else [])
    return rules


def label_for(item: Item) -> Label:
    """The item's QR label code, created the first time it is printed."""
    label, _created = Label.objects.get_or_create(item=item)
    return label


#
# Booking
#
def _check_period(*, start: date, end: date, quantity: int, repeat_weeks: int, today: date) -> None:
    errors = {}
    if end <= start:
        errors["end"] = _("The end comes after the first day (it is the day after the last one booked).")
    if start < today:
        errors["start"] = _("The first day is in the past.")
    if quantity is None or int(quantity) < 1:
        errors["quantity"] = _("Book at least one unit.")
    if not 0 <= int(repeat_weeks or 0) <= MAX_REPEAT_WEEKS:
        errors["repeat_weeks"] = _("Repeat for 0 to %(n)s weeks.") % {"n": MAX_REPEAT_WEEKS}
    if errors:
        raise ValidationError(errors)


def booking_refusal_before_dates(*, item: Item, rules: BookingRules, requester: Organisation) -> WorkflowError | None:
    """Why ``requester`` cannot book ``item`` whatever the dates — None when it can (the pages
    show it instead of a form that would be refused)."""
    if not item.is_shared:
        return WorkflowError("not_shared", _("This item is offered to give, not to share: claim it instead."))
    if item.status != Item.Status.AVAILABLE:
        return WorkflowError("item_not_available", _("This item is not open for bookings."))
    return permissions.audience_refusal(item=item, rules=rules, requester=requester)


def booking_check(
    *, item: Item, requester: Organisation, start: date, end: date, quantity: int = 1, repeat_weeks: int = 0,
    today: date | None = None,
) -> list[tuple[date, date]]:
    """Every rule a new booking must pass, in the order a person fixes them; returns its periods.

    Used by ``booking_create`` under the item's lock and, without a lock, by the booking
    form's check before it is sent (the answer may change before it is sent; the create
    checks again).

    Raises:
        ValidationError: dates in the wrong order or in the past, a quantity below 1.
        WorkflowError: ``not_shared``, ``item_not_available``, ``own_item``, ``not_in_audience``,
            ``too_soon`` (notice), ``too_long`` (longest period), ``not_enough_units``,
            ``booking_conflict`` (names the first day that clashes).
    """
    today = today or timezone.localdate()
    _check_period(start=start, end=end, quantity=quantity, repeat_weeks=repeat_weeks, today=today)
    quantity, repeat_weeks = int(quantity), int(repeat_weeks or 0)
    rules = BookingRules.of(item)
    refusal = booking_refusal_before_dates(item=item, rules=rules, requester=requester)
    if refusal is not None:
        raise refusal
    if start < today + timedelta(days=rules.lead_days):
        raise WorkflowError("too_soon", _("Book at least %(n)s day(s) ahead: from %(day)s.") % {
            "n": rules.lead_days, "day": _day(today + timedelta(days=rules.lead_days))})
    if (end - start).days > rules.max_days:
        raise WorkflowError("too_long", _("This item is booked for %(n)s day(s) at most (you asked for %(asked)s).")
                            % {"n": rules.max_days, "asked": (end - start).days})
    if quantity > item.quantity:
        raise WorkflowError("not_enough_units", _("This item has %(n)s unit(s).") % {"n": item.quantity})
    periods = selectors.repeated_periods(start, end, repeat_weeks)
    clash = selectors.first_clash(item, periods, quantity)
    if clash is not None:
        raise WorkflowError("booking_conflict", _conflict_message(item, clash, quantity, periods))
    return periods


def _conflict_message(item: Item, clash: date, quantity: int, periods) -> str:
    occurrence = next(n for n, (s, e) in enumerate(periods) if s <= clash < e)
    if item.quantity == 1:
        message = _("Already booked on %(day)s.") % {"day": _day(clash)}
    else:
        free = max(0, item.quantity - selectors.held_units(item, clash, clash + timedelta(days=1)).get(clash, 0))
        message = _("Only %(free)s of %(total)s unit(s) free on %(day)s (you asked for %(n)s).") % {
            "free": free, "total": item.quantity, "day": _day(clash), "n": quantity}
    if len(periods) > 1:
        message += " " + _("That is week %(n)s of %(total)s: nothing was booked (all or nothing).") % {
            "n": occurrence + 1, "total": len(periods)}
    return message


@transaction.atomic
def booking_create(
    *, actor, item: Item, requester: Organisation, start: date, end: date, quantity: int = 1,
    purpose: str = "", repeat_weeks: int = 0,
) -> list[Booking]:
    """Book ``quantity`` units of the shared ``item`` for ``requester`` over [start, end), and
    with ``repeat_weeks`` the same weekdays in each following week, all or nothing.

    Approved at once when the item's rules auto-approve (the days are free: checked under
    the lock), otherwise requested for the owner's staff to approve; a request already holds
    its days so that approving never double-books.

    Returns the bookings, first period first.

    Raises:
        PermissionDenied: ``actor`` may not book for ``requester``.
        ValidationError: see ``booking_check``; a purpose over 2,000 characters.
        WorkflowError: see ``booking_check``.
    """
    if not permissions.can_book_for(actor, requester):
        raise PermissionDenied(_("You may not book items for this organisation."))
    purpose = _clean_text(purpose, field="purpose", limit=Booking.NOTE_MAX_LENGTH)
    item = lock_item(item.pk)
    periods = booking_check(item=item, requester=requester, start=start, end=end, quantity=quantity,
                            repeat_weeks=repeat_weeks)
    rules = BookingRules.of(item)
    now = timezone.now()
    series = uuid.uuid4() if len(periods) > 1 else None
    bookings = []
    for period_start, period_end in periods:
        booking = Booking(
            item=item, requester=requester, booked_by=actor, start=period_start, end=period_end,
            quantity=int(quantity), purpose=purpose, series=series, single_unit=item.quantity == 1,
            status=Status.APPROVED if rules.auto_approve else Status.REQUESTED,
            approved_at=now if rules.auto_approve else None,
        )
        attribute(booking, actor=actor, reason=_("Booked (approved automatically)") if rules.auto_approve
                  else _("Booking requested"))
        booking.save()
        _publish("booking.created", booking)
        bookings.append(booking)
    if not rules.auto_approve:
        notifications.notify(users=_owner_side(bookings[0]), kind=Kind.BOOKING_REQUESTED, obj=bookings[0],
                             context={"booking": bookings[0]})
    return bookings


#
# Transitions
#
def lock_booking(booking: Booking) -> Booking:
    """Lock the booking's item, then the booking itself; both fresh from the database."""
    return lock_with_item(Booking, booking)


def action_label(action: str) -> str:
    labels = {
        states.APPROVE: pgettext("transition", "approved"), states.DECLINE: pgettext("transition", "declined"),
        states.CANCEL: pgettext("transition", "cancelled"), states.CHECK_OUT: pgettext("transition", "checked out"),
        states.CHECK_IN: pgettext("transition", "checked in"),
    }
    return labels.get(action, action)


TIMESTAMPS = {
    states.APPROVED: "approved_at", states.OUT: "out_at", states.RETURNED: "returned_at",
    states.DECLINED: "declined_at", states.CANCELLED: "cancelled_at",
}


def _move(booking: Booking, action: str, *, actor, today: date) -> None:
    """Check who may, then apply ``action`` of the pipeline to the locked booking, or refuse it."""
    if actor is not None:
        refusal = permissions.booking_refusal(actor, booking, action)
        if refusal is not None:
            raise refusal
    if not booking.can(action, today=today):
        if action == states.CHECK_OUT and booking.status == Status.APPROVED:
            raise WorkflowError("not_during_booking", _(
                "This booking goes out during its days only: from %(start)s to %(last)s.") % {
                "start": _day(booking.start), "last": _day(booking.last_day)})
        raise WorkflowError("invalid_transition", _("This booking cannot be %(action)s now (status: %(status)s).") % {
            "action": action_label(action), "status": booking.get_status_display()})
    booking.status = states.BOOKINGS.next_status(booking.status, action)
    setattr(booking, TIMESTAMPS[booking.status], timezone.now())


def _save(booking: Booking, *, actor, reason: str) -> None:
    attribute(booking, actor=actor, reason=reason)
    booking.save()
    _publish("booking.status_changed", booking)


@transaction.atomic
def booking_approve(*, actor, booking: Booking) -> Booking:
    """The owner's staff accept a requested booking (its days were held since the request).

    Raises:
        PermissionDenied: ``actor`` is not staff of the owner; ``Forbidden``
            ``separation_of_duties`` when it also belongs to the booking organisation.
        WorkflowError: ``invalid_transition`` unless requested.
    """
    booking = lock_booking(booking)
    _move(booking, states.APPROVE, actor=actor, today=timezone.localdate())
    _save(booking, actor=actor, reason=_("Approved"))
    notifications.notify(users=_booker_side(booking), kind=Kind.BOOKING_APPROVED, obj=booking,
                         context={"booking": booking})
    return booking


@transaction.atomic
def booking_decline(*, actor, booking: Booking, reason: str = "") -> Booking:
    """The owner's staff refuse a requested booking; its days are free again.

    Raises:
        PermissionDenied: ``actor`` is not staff of the owner.
        WorkflowError: ``invalid_transition`` unless requested.
        ValidationError: a reason over 1,000 characters.
    """
    reason = _clean_text(reason, field="reason", limit=Booking.REASON_MAX_LENGTH)
    booking = lock_booking(booking)
    _move(booking, states.DECLINE, actor=actor, today=timezone.localdate())
    booking.reason = reason
    _save(booking, actor=actor, reason=reason or _("Declined"))
    notifications.notify(users=_booker_side(booking), kind=Kind.BOOKING_DECLINED, obj=booking,
                         context={"booking": booking})
    return booking


@transaction.atomic
def booking_cancel(*, actor, booking: Booking, reason: str = "") -> Booking:
    """Either side calls a booking off before it goes out; its days are free again.

    Raises:
        PermissionDenied: ``actor`` is on neither side.
        WorkflowError: ``invalid_transition`` once out (or already closed).
        ValidationError: a reason over 1,000 characters.
    """
    reason = _clean_text(reason, field="reason", limit=Booking.REASON_MAX_LENGTH)
    booking = lock_booking(booking)
    _cancel_locked(booking, actor=actor, reason=reason or _("Cancelled"))
    return booking


def _cancel_locked(booking: Booking, *, actor, reason: str) -> None:
    _move(booking, states.CANCEL, actor=actor, today=timezone.localdate())
    booking.reason = reason
    _save(booking, actor=actor, reason=reason)
    others = [user for user in [*_owner_side(booking), *_booker_side(booking)] if user != actor]
    notifications.notify(users=others, kind=Kind.BOOKING_CANCELLED, obj=booking, context={"booking": booking})


def cancel_open_bookings(*, item: Item, actor, reason: str) -> int:
    """Cancel the requested and approved bookings of a locked item that is withdrawn or
    expires (``inventory.hooks.on_item_closed``); items already out come back as usual."""
    cancelled = 0
    for booking in Booking.objects.select_for_update().filter(item=item, status__in=states.OPEN).order_by("pk"):
        booking.item = item
        _cancel_locked(booking, actor=None, reason=reason)  # the item's closing was already permitted
        cancelled += 1
    return cancelled


@transaction.atomic
def booking_check_out(*, actor, booking: Booking) -> Booking:
    """The item leaves its owner for the booking (the label scanned, or the button), on one
    of the days booked.

    Raises:
        PermissionDenied: ``actor`` is neither the owner's staff nor of the booking organisation.
        WorkflowError: ``not_during_booking`` before the first day or after the last,
            ``invalid_transition`` unless approved.
    """
    booking = lock_booking(booking)
    _move(booking, states.CHECK_OUT, actor=actor, today=timezone.localdate())
    _save(booking, actor=actor, reason=_("Checked out"))
    return booking


@transaction.atomic
def booking_check_in(*, actor, booking: Booking, condition_note: str = "", photo=None) -> Booking:
    """The item is back: its condition is noted, with a photo through the photo pipeline
    (``inventory.images``) if one is given, and the use is counted for the impact report
    with the item's factors of the day.

    Raises:
        PermissionDenied: ``actor`` is neither the owner's staff nor of the booking organisation.
        WorkflowError: ``invalid_transition`` unless out.
        ValidationError: a note over 2,000 characters.
        PhotoError: the photo was refused (``inventory.images``).
    """
    condition_note = _clean_text(condition_note, field="condition_note", limit=Booking.NOTE_MAX_LENGTH)
    booking = lock_booking(booking)
    _move(booking, states.CHECK_IN, actor=actor, today=timezone.localdate())
    booking.condition_note = condition_note
    item = booking.item
    booking.unit_value_eur = item.effective_unit_value_eur
    booking.unit_co2e_kg = item.category.factor("unit_co2e_kg")
    saved = []
    if photo is not None:
        processed = process_photo(photo)  # refused before anything is written
        booking.return_photo.save(processed.image.name, processed.image, save=False)
        booking.return_thumbnail.save(processed.thumbnail.name, processed.thumbnail, save=False)
        saved = [booking.return_photo.name, booking.return_thumbnail.name]
    try:
        with transaction.atomic():
            _save(booking, actor=actor, reason=_("Checked in: %(note)s") % {"note": condition_note}
                  if condition_note else _("Checked in"))
    except BaseException:
        _delete_files(saved)
        raise
    return booking


def _delete_files(names) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        if name:
            default_storage.delete(name)


#
# Reminders and lateness (manage.py booking_reminders, and the daily task)
#
def booking_reminders(*, today: date | None = None) -> dict:
    """The daily run over bookings; each booking in its own transaction, so one failure stops
    nothing else, and each reminder sent once (its time is kept on the booking):

    - approved bookings starting tomorrow: a reminder to both sides;
    - bookings out whose last day is today (due back tomorrow): a reminder to both sides;
    - bookings still out after their last day: flagged late once, both sides told (the
      dashboard lists them until they are checked in);
    - approved bookings whose days have passed without a check-out: cancelled.

    Returns ``{"start_reminders": n, "end_reminders": n, "late": n, "not_checked_out": n}``.
    """
    today = today or timezone.localdate()
    tomorrow = today + timedelta(days=1)
    result = {"start_reminders": 0, "end_reminders": 0, "late": 0, "not_checked_out": 0}
    runs = [
        ("start_reminders", Booking.objects.filter(status=Status.APPROVED, start=tomorrow,
                                                   start_reminded_at__isnull=True), _remind_start),
        ("end_reminders", Booking.objects.filter(status=Status.OUT, end=tomorrow, end_reminded_at__isnull=True),
         _remind_end),
        ("late", Booking.objects.late(today).filter(late_flagged_at__isnull=True), _flag_late),
        ("not_checked_out", Booking.objects.filter(status=Status.APPROVED, end__lte=today), _not_checked_out),
    ]
    for key, due, run in runs:
        for booking_id in list(due.values_list("pk", flat=True)):
            try:
                with transaction.atomic():
                    if run(lock_booking(Booking(pk=booking_id)), today=today):
                        result[key] += 1
            except Exception:
                logger.exception("booking reminders: could not handle booking %s", booking_id)
    return result


def _remind(booking: Booking, *, status: str, field: str, moment: str, reason: str) -> bool:
    if booking.status != status or getattr(booking, field) is not None:
        return False  # changed meanwhile, or already reminded
    setattr(booking, field, timezone.now())
    attribute(booking, actor=None, reason=reason)
    booking.save()
    _notify_both(booking, Kind.BOOKING_REMINDER, moment=moment)
    return True


def _remind_start(booking: Booking, *, today: date) -> bool:
    return _remind(booking, status=Status.APPROVED, field="start_reminded_at", moment="start",
                   reason=_("Reminder sent: starts tomorrow"))


def _remind_end(booking: Booking, *, today: date) -> bool:
    return _remind(booking, status=Status.OUT, field="end_reminded_at", moment="end",
                   reason=_("Reminder sent: due back tomorrow"))


def _flag_late(booking: Booking, *, today: date) -> bool:
    if not booking.is_late(today) or booking.late_flagged_at is not None:
        return False
    booking.late_flagged_at = timezone.now()
    attribute(booking, actor=None, reason=_("Late: not back after %(day)s") % {"day": _day(booking.last_day)})
    booking.save()
    _notify_both(booking, Kind.BOOKING_LATE)
    return True


def _not_checked_out(booking: Booking, *, today: date) -> bool:
    if booking.status != Status.APPROVED or booking.end > today:
        return False
    _cancel_locked(booking, actor=None, reason=_("Not checked out during its days."))
    return True


def _notify_both(booking: Booking, kind: str, **context) -> None:
    notifications.notify(users=[*_owner_side(booking), *_booker_side(booking)], kind=kind, obj=booking,
                         context={"booking": booking, **context})
