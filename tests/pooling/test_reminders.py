"""Reminders the day before a booking starts and ends, late returns flagged once to both
sides, bookings never checked out cancelled — as a command and as a task."""

import datetime as dt
from io import StringIO

import time_machine
from django.core import mail
from django.core.management import call_command

from exchange.models import Notification
from pooling import services, tasks
from pooling.models import Booking

from .conftest import PARIS, day


def _approved(booker, staff, item, requester, start, end):
    [booking] = services.booking_create(actor=booker, item=item, requester=requester, start=start, end=end)
    return services.booking_approve(actor=staff, booking=booking)


def test_reminders_go_once_the_day_before_start_and_end(minibus, school, booker, staff,
                                                        django_capture_on_commit_callbacks):
    tomorrow = _approved(booker, staff, minibus, school, day(1), day(3))
    later = _approved(booker, staff, minibus, school, day(5), day(6))
    mail.outbox.clear()

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):  # the e-mails leave after commit
        call_command("booking_reminders", stdout=out)
    assert "start reminders: 1, return reminders: 0, late: 0, not checked out: 0" in out.getvalue()
    reminded = Notification.objects.filter(kind="booking_reminder", object_id=tomorrow.pk)
    assert {n.user for n in reminded} == {booker, staff}
    assert "commence demain" in reminded.first().message
    assert not Notification.objects.filter(kind="booking_reminder", object_id=later.pk).exists()
    assert len(mail.outbox) == 2 and "commence demain" in mail.outbox[0].subject
    call_command("booking_reminders", stdout=StringIO())  # once only
    assert reminded.count() == 2

    # On its last day (Paris time), the booking out is reminded to come back
    with time_machine.travel(dt.datetime(2026, 12, 9, 8, 0, tzinfo=PARIS), tick=False):
        services.booking_check_out(actor=booker, booking=tomorrow)
        result = tasks.booking_reminders_task.enqueue().return_value
    assert result == {"start_reminders": 0, "end_reminders": 1, "late": 0, "not_checked_out": 0}
    assert Notification.objects.filter(kind="booking_reminder", object_id=tomorrow.pk).count() == 4


def test_a_late_return_is_flagged_once_to_both_sides_and_listed(minibus, school, booker, staff):
    booking = _approved(booker, staff, minibus, school, day(0), day(2))
    services.booking_check_out(actor=booker, booking=booking)
    # At 00:30 in Paris on the day after the last one (still the evening before in UTC)
    with time_machine.travel(dt.datetime(2026, 12, 9, 0, 30, tzinfo=PARIS), tick=False):
        assert services.booking_reminders()["late"] == 1
        assert services.booking_reminders()["late"] == 0
        booking.refresh_from_db()
        assert booking.late_flagged_at is not None and booking.is_late(dt.date(2026, 12, 9))
    late = Notification.objects.filter(kind="booking_late", object_id=booking.pk)
    assert {n.user for n in late} == {booker, staff}
    assert "n’a pas été rendu" in late.first().message


def test_a_booking_never_checked_out_is_cancelled_after_its_days(minibus, school, booker, staff):
    booking = _approved(booker, staff, minibus, school, day(0), day(1))
    assert services.booking_reminders(today=day(0))["not_checked_out"] == 0
    assert services.booking_reminders(today=day(1))["not_checked_out"] == 1
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED and booking.reason == "Not checked out during its days."


def test_the_command_refuses_a_bad_date(db):
    import pytest
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("booking_reminders", "--today", "31/12/2026")
