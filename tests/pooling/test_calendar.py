"""Bookings in each person's private calendar feed, read back with ``icalendar``."""

import datetime as dt

import icalendar
from django.test import Client

from exchange import calendar
from pooling import services
from tests.factories import OrganisationFactory, member

from .conftest import day


def _events(data: bytes) -> dict:
    return {str(event["uid"]): event for event in icalendar.Calendar.from_ical(data).walk("VEVENT")}


def test_both_sides_find_the_booking_as_an_all_day_event(minibus, school, booker, staff):
    [booking] = services.booking_create(actor=booker, item=minibus, requester=school, start=day(1), end=day(3),
                                        purpose="Sortie au musée")
    [cancelled] = services.booking_create(actor=booker, item=minibus, requester=school, start=day(5), end=day(6))
    services.booking_cancel(actor=booker, booking=cancelled)
    stranger = member(OrganisationFactory())

    mine = _events(Client().get(f"/calendar/{calendar.calendar_token(booker)}.ics").content)
    event = mine[f"booking-{booking.pk}@rebond"]
    assert event.decoded("dtstart") == day(1) and event.decoded("dtend") == day(3)  # all day, end exclusive
    assert isinstance(event.decoded("dtstart"), dt.date) and not isinstance(event.decoded("dtstart"), dt.datetime)
    assert str(event["summary"]) == f"Emprunté : {minibus.title} ({minibus.owner})"
    assert "Sortie au musée" in str(event["description"]) and minibus.owner.address in str(event["location"])
    assert str(mine[f"booking-{cancelled.pk}@rebond"]["status"]) == "CANCELLED"

    theirs = _events(Client().get(f"/calendar/{calendar.calendar_token(staff)}.ics").content)
    assert str(theirs[f"booking-{booking.pk}@rebond"]["summary"]) == f"{minibus.title} prêté à {school}"
    assert _events(Client().get(f"/calendar/{calendar.calendar_token(stranger)}.ics").content) == {}
