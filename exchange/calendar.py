"""Each person's private calendar feed (iCalendar, RFC 5545, through ``icalendar``).

The address holds an unguessable secret (``PersonalSettings.calendar_token``); replacing it
makes the old address answer 404. The feed lists what concerns the person from
``EVENT_SOURCES`` — a list of functions ``(user, since) -> [CalendarEvent]``, so another kind
of event (bookings of shared items) is one more function in the list. Times are
Europe/Paris with their VTIMEZONE; UIDs are stable (one per pickup or tour), so calendar
apps update an event rather than duplicate it; what was called off stays in the feed with
``STATUS:CANCELLED`` so the apps remove it.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from inventory.models import Membership
from inventory.permissions import organisations_of

from .models import PersonalSettings, Pickup, Reservation, Tour

# Events older than this are left out: a feed is read every few hours by calendar apps.
HISTORY_DAYS = 60
UID_DOMAIN = "rebond"


@dataclass
class CalendarEvent:
    uid: str
    start: datetime | date
    end: datetime | date
    summary: str
    description: str
    location: str
    cancelled: bool
    updated: datetime | None = None


def _address(organisation) -> str:
    return f"{organisation.address}, {organisation.postcode} {organisation.commune.name}"


def pickup_events(user, since: date) -> list[CalendarEvent]:
    """The pickups the person goes on (as a volunteer). Three queries."""
    live = Q(reservations__status__in=(Reservation.Status.SCHEDULED, Reservation.Status.COLLECTED,
                                       Reservation.Status.DELIVERED, Reservation.Status.RETURNED))
    pickups = (
        Pickup.objects.filter(volunteers=user, window_end__date__gte=since)
        .select_related("giver__commune", "organisation", "tour")
        .annotate(live=Count("reservations", filter=live))
        .prefetch_related(Prefetch("reservations", queryset=Reservation.objects.select_related("item")))
        .order_by("window_start", "pk")
    )
    events = []
    for pickup in pickups:
        giver = pickup.giver
        lines = [f"{r.quantity} × {r.item.title}" for r in pickup.reservations.all()
                 if r.status != Reservation.Status.CANCELLED]
        contact = " · ".join(part for part in (giver.contact_name, giver.contact_phone) if part)
        description = "\n".join([
            _("For %(association)s") % {"association": pickup.organisation},
            *lines,
            *([_("Contact: %(contact)s") % {"contact": contact}] if contact else []),
            *([_("Stop %(n)s of the tour") % {"n": pickup.position}] if pickup.tour_id else []),
        ])
        start = pickup.arrival or pickup.window_start
        events.append(CalendarEvent(
            uid=f"pickup-{pickup.pk}@{UID_DOMAIN}", start=start, end=max(pickup.window_end, start),
            summary=_("Pickup at %(giver)s") % {"giver": giver}, description=description,
            location=_address(giver),
            cancelled=pickup.status == Pickup.Status.MISSED or pickup.live == 0,
        ))
    return events


def tour_events(user, since: date) -> list[CalendarEvent]:
    """The tours of the associations the person coordinates. Two queries."""
    coordinated = organisations_of(user, Membership.Role.COORDINATOR)
    tours = (
        Tour.objects.filter(organisation__in=coordinated, date__gte=since)
        .select_related("organisation__commune")
        .prefetch_related(Prefetch("pickups", queryset=Pickup.objects.select_related("giver").order_by("position")))
        .order_by("date", "pk")
    )
    events = []
    for tour in tours:
        stops = list(tour.pickups.all())
        name = tour.vehicle_name or _("Tour #%(id)s") % {"id": tour.pk}
        start = tour.starts_at or tour.date
        end = tour.ends_at or (tour.date + timedelta(days=1))
        events.append(CalendarEvent(
            uid=f"tour-{tour.pk}@{UID_DOMAIN}", start=start, end=end,
            summary=_("Tour: %(vehicle)s, %(n)s stops") % {"vehicle": name, "n": len(stops)},
            description="\n".join(f"{p.position}. {p.giver}" for p in stops),
            location=_address(tour.organisation),
            cancelled=bool(stops) and all(p.status == Pickup.Status.MISSED for p in stops),
        ))
    return events


EVENT_SOURCES: list[Callable] = [pickup_events, tour_events]


def feed(user, *, today: date | None = None) -> bytes:
    """The person's calendar as iCalendar bytes, in their language."""
    import icalendar

    today = today or timezone.localdate()
    since = today - timedelta(days=HISTORY_DAYS)
    settings_row = PersonalSettings.objects.filter(user=user).first()
    language = (settings_row.language if settings_row else "") or settings.LANGUAGE_CODE
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Rebond//Calendar//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    paris = timezone.get_default_timezone()
    stamp = timezone.now()
    with translation.override(language):
        calendar.add("x-wr-calname", _("Rebond: my pickups"))
        calendar.add("x-wr-timezone", str(paris))
        for source in EVENT_SOURCES:
            for event in source(user, since):
                entry = icalendar.Event()
                entry.add("uid", event.uid)
                entry.add("dtstamp", stamp)
                for name, moment in (("dtstart", event.start), ("dtend", event.end)):
                    entry.add(name, timezone.localtime(moment, paris) if isinstance(moment, datetime) else moment)
                entry.add("summary", event.summary)
                entry.add("description", event.description)
                entry.add("location", event.location)
                entry.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
                calendar.add_component(entry)
    calendar.add_missing_timezones()
    return calendar.to_ical()


#
# The private address
#
@transaction.atomic
def calendar_token(user, *, replace: bool = False) -> str:
    """The secret of ``user``'s calendar address, drawn the first time; ``replace`` draws a
    new one (the old address then answers 404)."""
    row, _created = PersonalSettings.objects.select_for_update().get_or_create(user=user)
    if replace or not row.calendar_token:
        row.calendar_token = secrets.token_urlsafe(32)
        row.save(update_fields=["calendar_token"])
    return row.calendar_token


def user_for_token(token: str):
    """The active user whose calendar address holds ``token``, or None."""
    if not token or len(token) > 64:
        return None
    return get_user_model().objects.filter(
        personal_settings__calendar_token=token, is_active=True).exclude(personal_settings__calendar_token="").first()
