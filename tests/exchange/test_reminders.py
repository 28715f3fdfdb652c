"""Reminders of pickups (each once) and missed pickups counted per giver and per association."""

from datetime import UTC, date, datetime, time, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from exchange import reports, selectors, services
from exchange.models import Notification, Reminder
from tests.factories import AvailableItemFactory, OrganisationFactory, member
from tests.frontend.conftest import signed_in

DAY = date(2027, 1, 1)  # a New Year's Day: Paris is an hour ahead of UTC


def _at(day, hour, minute=0):
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@pytest.fixture
def pickup(association, coordinator, volunteer, giver, staff):
    item = AvailableItemFactory(owner=giver, quantity=1)
    claim = services.reservation_create(actor=volunteer, item=item, requester=association, quantity=1)
    services.reservation_approve(actor=staff, reservation=claim)
    return services.pickup_create(actor=coordinator, reservations=[claim], window_start=_at(DAY, 9),
                                  window_end=_at(DAY, 11), volunteers=[volunteer])


def test_the_giver_is_reminded_the_day_before_once(pickup, staff, volunteer, mailoutbox):
    second_staff = member(pickup.giver, "staff")
    with time_machine.travel(_at(DAY - timedelta(days=1), 17), tick=False):
        assert services.send_reminders() == {"giver_eve": 2, "volunteer_morning": 0}
        assert services.send_reminders() == {"giver_eve": 0, "volunteer_morning": 0}  # once
    told = Notification.objects.filter(kind=Notification.Kind.PICKUP_TOMORROW)
    assert {n.user for n in told} == {staff, second_staff}
    assert not Notification.objects.filter(user=volunteer, kind=Notification.Kind.PICKUP_TOMORROW).exists()
    assert Reminder.objects.filter(kind=Reminder.Kind.GIVER_EVE).count() == 2


def test_volunteers_are_reminded_on_the_morning_once(pickup, volunteer, staff):
    # 23:30 UTC on 31 December is already New Year's Day, 00:30, in Paris: "today" is the 1st.
    with time_machine.travel(datetime(2026, 12, 31, 23, 30, tzinfo=UTC), tick=False):
        assert services.send_reminders()["volunteer_morning"] == 1
    with time_machine.travel(_at(DAY, 7), tick=False):
        assert services.send_reminders()["volunteer_morning"] == 0
    [notification] = Notification.objects.filter(kind=Notification.Kind.PICKUP_TODAY)
    assert notification.user == volunteer and pickup.giver.name in notification.message


def test_no_reminder_after_the_window_or_for_a_missed_pickup(pickup, coordinator):
    with time_machine.travel(_at(DAY, 12), tick=False):
        assert services.send_reminders()["volunteer_morning"] == 0  # the window is over
    services.pickup_missed(actor=coordinator, pickup=pickup)
    with time_machine.travel(_at(DAY - timedelta(days=1), 17), tick=False):
        assert services.send_reminders()["giver_eve"] == 0


def test_the_command_runs_at_a_given_time(pickup):
    out = StringIO()
    call_command("send_reminders", "--only", "eve", "--now", "2026-12-31T17:00", stdout=out)
    assert "givers reminded: 1" in out.getvalue()


#
# Missed pickups on the dashboard
#
def _pickup_at(association, coordinator, volunteer, giver, staff, day):
    item = AvailableItemFactory(owner=giver, quantity=1)
    claim = services.reservation_create(actor=volunteer, item=item, requester=association, quantity=1)
    services.reservation_approve(actor=staff, reservation=claim)
    return services.pickup_create(actor=coordinator, reservations=[claim], window_start=_at(day, 9),
                                  window_end=_at(day, 10), volunteers=[])


def test_missed_pickups_are_counted_per_giver_and_association(association, coordinator, volunteer, giver, staff,
                                                              viewer, django_assert_num_queries):
    other = OrganisationFactory(name="Collège Jean Moulin")
    other_staff = member(other, "staff")
    made = [_pickup_at(association, coordinator, volunteer, giver, staff, DAY + timedelta(days=i)) for i in range(3)]
    made.append(_pickup_at(association, coordinator, volunteer, other, other_staff, DAY))
    for pickup in made[:2] + made[3:]:
        services.pickup_missed(actor=coordinator, pickup=pickup)
    scope = selectors.reportable_pickups(viewer)
    with django_assert_num_queries(3):
        result = reports.missed_pickups(pickups=scope, date_from=DAY,
                                        date_to=DAY + timedelta(days=10))
    assert (result["missed"], result["planned"]) == (3, 4)
    assert [(r["name"], r["missed"], r["planned"]) for r in result["by_giver"]] == [
        (giver.name, 2, 3), ("Collège Jean Moulin", 1, 1)]
    assert [(r["name"], r["missed"], r["planned"]) for r in result["by_association"]] == [(association.name, 3, 4)]
    # The other giver's staff counts only its own.
    mine = reports.missed_pickups(pickups=selectors.reportable_pickups(other_staff), date_from=None, date_to=None)
    assert (mine["missed"], mine["planned"]) == (1, 1)
    # The dashboard shows them.
    body = signed_in(viewer).get(reverse("dashboard"), {"date_from": DAY.isoformat(),
                                                        "date_to": (DAY + timedelta(days=10)).isoformat()})
    page = body.content.decode()
    assert 'id="missed-title"' in page and "Collège Jean Moulin" in page
