"""Twenty organisations book the same single-unit item at once, with real threads each on its
own database connection: exactly one wins. On SQLite the IMMEDIATE transactions serialise the
writers; on PostgreSQL the item's row lock does, and the exclusion constraint would refuse a
second overlapping row even without it (tested by inserting one with SQL)."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from inventory.models import Membership
from pooling import services
from pooling.models import Booking, BookingRules
from tests.factories import OrganisationFactory, SharedItemFactory, member
from tests.races import race

RACERS = 20
START = dt.date(2031, 5, 5)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_organisations_book_overlapping_days_of_one_minibus():
    # Given a single-unit shared item, approved automatically when free
    item = SharedItemFactory(owner=OrganisationFactory(), quantity=1)
    BookingRules.objects.create(item=item, auto_approve=True, max_days=14)
    racers = []
    for n in range(RACERS):
        organisation = OrganisationFactory()
        racers.append((organisation, member(organisation, Membership.Role.STAFF), n % 4))

    # When 20 organisations book overlapping periods at the same moment
    outcomes = race([
        (lambda org=org, user=user, shift=shift: services.booking_create(
            actor=user, item=item, requester=org, start=START + dt.timedelta(days=shift),
            end=START + dt.timedelta(days=shift + 4)))
        for org, user, shift in racers
    ])

    # Then exactly one wins and the others are told which day clashes
    assert outcomes.count("ok") == 1, outcomes
    assert outcomes.count("booking_conflict") == RACERS - 1, outcomes
    assert Booking.objects.filter(item=item).count() == 1


@pytest.mark.django_db
def test_an_overlapping_row_written_past_the_services():
    """PostgreSQL (production) refuses it; SQLite, the embedded default, has no exclusion
    constraint, so there the services' check under the lock is the only rule."""
    # Given one booking of a single-unit item, made through the service
    item = SharedItemFactory(owner=OrganisationFactory(), quantity=1)
    school = OrganisationFactory()
    services.booking_create(actor=member(school), item=item, requester=school, start=START,
                            end=START + dt.timedelta(days=3))
    insert = (
        "INSERT INTO pooling_booking (item_id, requester_id, start, \"end\", quantity, purpose, status, single_unit,"
        " reason, condition_note, return_photo, return_thumbnail, created_at, updated_at)"
        " VALUES (%s, %s, %s, %s, 1, '', %s, %s, '', '', '', '', %s, %s)"
    )
    now = timezone.now()

    def write(start_day: int, end_day: int, status: str = "approved") -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(insert, [item.pk, school.pk, START + dt.timedelta(days=start_day),
                                    START + dt.timedelta(days=end_day), status, True, now, now])

    # When a row sharing one day is inserted with SQL
    if connection.vendor == "postgresql":
        with pytest.raises(IntegrityError, match="booking_single_unit_no_overlap"):
            write(2, 5)
        expected = 3
    else:
        write(2, 5)
        expected = 4
    # The adjacent period, and a cancelled row on the same days, are accepted everywhere
    write(3, 5)
    write(0, 3, status="cancelled")
    assert Booking.objects.filter(item=item).count() == expected
