"""Bookings of shared equipment in each person's calendar feed (``exchange.calendar``): one
more source in its ``EVENT_SOURCES``, registered by ``PoolingConfig.ready``.

A booking is an all-day event from its first day to ``end`` — iCalendar's DTEND of an
all-day event is exclusive too — at the owner's address; declined and cancelled bookings
stay in the feed as ``STATUS:CANCELLED`` so calendar apps remove them. The person sees the
bookings of the organisations it books for and those of its organisations' items.
"""

from datetime import date

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from exchange.calendar import UID_DOMAIN, CalendarEvent
from inventory.models import Membership
from inventory.permissions import CLAIMING_ROLES, organisations_of

from .models import Booking


def booking_events(user, since: date) -> list[CalendarEvent]:
    """One query."""
    booking_for = organisations_of(user, *CLAIMING_ROLES)
    owning = organisations_of(user, Membership.Role.STAFF)
    bookings = (
        Booking.objects.filter(Q(requester__in=booking_for) | Q(item__owner__in=owning), end__gte=since)
        .annotate(owned=Exists(owning.filter(pk=OuterRef("item__owner"))))
        .select_related("item__owner__commune", "requester")
        .order_by("start", "pk")
    )
    events = []
    for booking in bookings:
        item, owner = booking.item, booking.item.owner
        if booking.owned:
            summary = _("%(item)s lent to %(requester)s") % {"item": item.title, "requester": booking.requester}
        else:
            summary = _("Booked: %(item)s (%(owner)s)") % {"item": item.title, "owner": owner}
        lines = [_("%(n)s unit(s)") % {"n": booking.quantity}, booking.get_status_display()]
        if booking.purpose:
            lines.append(booking.purpose)
        events.append(CalendarEvent(
            uid=f"booking-{booking.pk}@{UID_DOMAIN}", start=booking.start, end=booking.end, summary=summary,
            description="\n".join(str(line) for line in lines),
            location=f"{owner.address}, {owner.postcode} {owner.commune.name}",
            cancelled=booking.status in (Booking.Status.DECLINED, Booking.Status.CANCELLED),
            updated=booking.updated_at,
        ))
    return events
