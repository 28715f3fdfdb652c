"""Reads of shared equipment: who sees which bookings, what is free when, what one may do now."""

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from inventory.models import Item
from inventory.permissions import Roles, is_department_member, organisations_of

from . import permissions, states
from .models import Booking


def _signed_in(user) -> bool:
    return bool(user and user.is_authenticated)


def visible_bookings(user) -> QuerySet[Booking]:
    """Bookings of the user's organisations, bookings of their items, or all for the département."""
    if not _signed_in(user):
        return Booking.objects.none()
    if is_department_member(user):
        return Booking.objects.all()
    own = organisations_of(user)
    return Booking.objects.filter(Q(requester__in=own) | Q(item__owner__in=own))


def shared_items(user) -> QuerySet[Item]:
    """The catalogue's "To share" section: published shared items the user may see."""
    if not _signed_in(user):
        return Item.objects.none()
    return Item.objects.filter(mode=Item.Mode.SHARED, status=Item.Status.AVAILABLE)


# The actions a person takes on one booking, in the order the pages show their buttons.
BOOKING_ACTIONS = (states.APPROVE, states.DECLINE, states.CHECK_OUT, states.CHECK_IN, states.CANCEL)


def booking_actions(user, booking: Booking, roles: Roles | None = None, today: date | None = None) -> list[str]:
    """What ``user`` may do on ``booking`` now: the pipeline (``states``), the booking's own
    guards (``Booking.can``: the item goes out during its days) and who may
    (``permissions``), joined once. The pages show exactly these buttons and the API's
    ``allowed_actions`` says the same; pass ``roles`` when deciding a list."""
    if not _signed_in(user):
        return []
    roles = roles or Roles(user)
    today = today or timezone.localdate()
    return [
        action for action in BOOKING_ACTIONS
        if booking.can(action, today=today) and permissions.may(user, booking, action, roles)
    ]


#
# Availability
#
def days(start: date, end: date) -> Iterable[date]:
    """Each day of [start, end)."""
    for offset in range((end - start).days):
        yield start + timedelta(days=offset)


def held_units(item: Item, start: date, end: date, *, exclude: Iterable[int] = ()) -> dict[date, int]:
    """Units held on each day of [start, end) by the item's holding bookings (one query)."""
    held: dict[date, int] = {}
    bookings = Booking.objects.filter(item=item).holding().overlapping(start, end).exclude(pk__in=list(exclude))
    for booking_start, booking_end, quantity in bookings.values_list("start", "end", "quantity"):
        for day in days(max(booking_start, start), min(booking_end, end)):
            held[day] = held.get(day, 0) + quantity
    return held


def first_clash(item: Item, periods: list[tuple[date, date]], quantity: int) -> date | None:
    """The first day of ``periods`` on which ``quantity`` more units of ``item`` are not free,
    or None when every day of every period has them. One query for all the periods."""
    if not periods:
        return None
    held = held_units(item, min(s for s, _e in periods), max(e for _s, e in periods))
    for start, end in sorted(periods):
        for day in days(start, end):
            if held.get(day, 0) + quantity > item.quantity:
                return day
    return None


def repeated_periods(start: date, end: date, repeat_weeks: int) -> list[tuple[date, date]]:
    """The period and the same weekdays in each of the ``repeat_weeks`` following weeks."""
    return [(start + timedelta(weeks=n), end + timedelta(weeks=n)) for n in range(repeat_weeks + 1)]


def availability(item: Item, start: date, end: date) -> QuerySet[Booking]:
    """The holding bookings sharing a day with [start, end): dates, units and status, no names."""
    return Booking.objects.filter(item=item).holding().overlapping(start, end).order_by("start", "pk")


@dataclass(frozen=True)
class Day:
    """One cell of the month view."""

    date: date
    in_month: bool
    free: int  # units free that day
    total: int
    past: bool

    @property
    def state(self) -> str:
        """``free``, ``partial`` (a lot with some units booked), ``full`` or ``past``."""
        if self.past:
            return "past"
        if self.free <= 0:
            return "full"
        return "free" if self.free == self.total else "partial"


def month_days(item: Item, year: int, month: int, *, today: date) -> list[list[Day]]:
    """The weeks (Monday first) of ``month`` with the units free on each day (one query)."""
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    first, last = weeks[0][0], weeks[-1][-1]
    held = held_units(item, first, last + timedelta(days=1))
    return [
        [Day(date=day, in_month=day.month == month, free=max(0, item.quantity - held.get(day, 0)),
             total=item.quantity, past=day < today) for day in week]
        for week in weeks
    ]


#
# Lateness
#
def late_bookings(user, today: date | None = None) -> QuerySet[Booking]:
    """Bookings still out after their last day, among those the user sees."""
    return visible_bookings(user).late(today or timezone.localdate()).select_related("item", "requester")


def visible_shared_uses(user) -> QuerySet[Booking]:
    """Returned bookings counted in the user's impact: all for the département, else those of
    its organisations' items or made by them."""
    return visible_bookings(user).filter(status=states.RETURNED)


def bookings_made_by(user) -> tuple[str, list[dict]]:
    """The person's own bookings, for "My data" (GDPR; ``exchange.privacy``)."""
    return "bookings_made", [
        {"id": b.pk, "item": b.item.title, "start": b.start.isoformat(), "end": b.end.isoformat(),
         "quantity": b.quantity, "status": b.status, "purpose": b.purpose,
         "condition_note": b.condition_note, "created_at": b.created_at.isoformat()}
        for b in Booking.objects.filter(booked_by=user).select_related("item")
    ]
