"""The private calendar feed, read back with ``icalendar`` as a calendar app would."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.test import Client
from django.utils import timezone

from exchange import calendar, services
from exchange.models import Reservation
from tests.factories import AvailableItemFactory, OrganisationFactory, member

PARIS = ZoneInfo("Europe/Paris")


def _at(day, hour):
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.fixture
def day():
    return timezone.localdate() + timedelta(days=2)


@pytest.fixture
def pickups(association, coordinator, volunteer, giver, staff, day):
    """Two pickups the volunteer goes on (one later called off), one they do not."""
    giver.contact_name, giver.contact_phone = "Claire Martin", "01 45 00 00 00"
    giver.save()
    made = []
    for hour, with_volunteer in ((9, True), (14, True), (16, False)):
        item = AvailableItemFactory(owner=giver, quantity=1, title=f"Armoire {hour}h")
        claim = services.reservation_create(actor=volunteer, item=item, requester=association, quantity=1)
        services.reservation_approve(actor=staff, reservation=claim)
        made.append(services.pickup_create(actor=coordinator, reservations=[claim], window_start=_at(day, hour),
                                           window_end=_at(day, hour + 2),
                                           volunteers=[volunteer] if with_volunteer else []))
    cancelled = Reservation.objects.get(pickup=made[1])
    services.reservation_cancel(actor=volunteer, reservation=cancelled, reason="Plus besoin")
    return made


def _events(data: bytes) -> dict:
    parsed = icalendar.Calendar.from_ical(data)
    return {str(event["uid"]): event for event in parsed.walk("VEVENT")}


def test_the_feed_holds_the_persons_pickups(client, volunteer, pickups, giver, day):
    url = Client().get  # anonymous: the address's secret is the key
    token = calendar.calendar_token(volunteer)
    response = url(f"/calendar/{token}.ics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    parsed = icalendar.Calendar.from_ical(response.content)
    assert [tz["tzid"] for tz in parsed.walk("VTIMEZONE")] == ["Europe/Paris"]
    events = _events(response.content)
    first, second, other = pickups
    assert set(events) == {f"pickup-{first.pk}@rebond", f"pickup-{second.pk}@rebond"}  # not the third
    event = events[f"pickup-{first.pk}@rebond"]
    start = event.decoded("dtstart")
    assert start.tzinfo.key == "Europe/Paris" and start == _at(day, 9) and event.decoded("dtend") == _at(day, 11)
    assert "DTSTART;TZID=Europe/Paris:" in response.content.decode()
    assert str(event["location"]) == f"{giver.address}, {giver.postcode} {giver.commune.name}"
    assert str(event["status"]) == "CONFIRMED"
    assert "Armoire 9h" in str(event["description"]) and "01 45 00 00 00" in str(event["description"])
    assert str(events[f"pickup-{second.pk}@rebond"]["status"]) == "CANCELLED"  # its only claim was cancelled
    for reservation in Reservation.objects.all():  # never a handover code
        assert reservation.handover_code not in response.content.decode()


def test_uids_are_stable_and_a_missed_pickup_is_cancelled(volunteer, coordinator, pickups):
    before = _events(calendar.feed(volunteer))
    services.pickup_missed(actor=coordinator, pickup=pickups[0])
    after = _events(calendar.feed(volunteer))
    assert set(before) == set(after)
    assert str(after[f"pickup-{pickups[0].pk}@rebond"]["status"]) == "CANCELLED"


def test_coordinators_also_get_their_associations_tours(coordinator, association, pickups, day):
    tour = services.tour_create(actor=coordinator, organisation=association, date=day, capacity_kg=500,
                                capacity_m3=5, pickups=pickups[:1])
    events = _events(calendar.feed(coordinator))
    assert f"tour-{tour.pk}@rebond" in events
    assert events[f"tour-{tour.pk}@rebond"].decoded("dtstart") == day  # no hours planned: the whole day


def test_the_feed_reads_in_constant_queries(volunteer, association, coordinator, giver, staff, day, pickups,
                                            django_assert_num_queries):
    token = calendar.calendar_token(volunteer)
    with django_assert_num_queries(6) as few:  # the bookings of shared equipment (pooling) are one of them
        Client().get(f"/calendar/{token}.ics")
    for hour in range(8, 12):  # four more pickups with two claims each
        claims = []
        for _n in range(2):
            item = AvailableItemFactory(owner=giver, quantity=1)
            claim = services.reservation_create(actor=volunteer, item=item, requester=association, quantity=1)
            claims.append(services.reservation_approve(actor=staff, reservation=claim))
        services.pickup_create(actor=coordinator, reservations=claims, window_start=_at(day, hour),
                               window_end=_at(day, hour + 1), volunteers=[volunteer])
    with django_assert_num_queries(len(few.captured_queries)):
        response = Client().get(f"/calendar/{token}.ics")
    assert len(_events(response.content)) == 6


def test_a_replaced_address_answers_404(volunteer, pickups):
    old = calendar.calendar_token(volunteer)
    new = calendar.calendar_token(volunteer, replace=True)
    assert new != old and len(new) >= 40
    assert Client().get(f"/calendar/{old}.ics").status_code == 404
    assert Client().get(f"/calendar/{new}.ics").status_code == 200
    assert Client().get("/calendar/guess.ics").status_code == 404


def test_the_feed_speaks_the_persons_language(volunteer, pickups):
    from exchange.models import PersonalSettings

    PersonalSettings.objects.update_or_create(user=volunteer, defaults={"language": "en"})
    assert "Pickup at" in calendar.feed(volunteer).decode()
    PersonalSettings.objects.filter(user=volunteer).update(language="")
    assert "Pickup at" not in calendar.feed(volunteer).decode()  # French, the site's language


def test_an_inactive_persons_address_stops_working(volunteer, pickups):
    token = calendar.calendar_token(volunteer)
    volunteer.is_active = False
    volunteer.save()
    assert Client().get(f"/calendar/{token}.ics").status_code == 404


def test_no_other_member_sees_a_third_party(pickups):
    outsider = member(OrganisationFactory(), "staff")
    assert _events(calendar.feed(outsider)) == {}
