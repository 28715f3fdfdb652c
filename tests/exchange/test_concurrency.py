"""Races with real threads, each on its own database connection.

On SQLite the IMMEDIATE transactions serialise writers on the database lock (the test
database is a file, see config/settings_test.py); on PostgreSQL the item's row lock does.
``serialized_rollback`` restores the seeded categories and communes that the flush at the
end of a transactional test removes.
"""

import pytest
from django.db.models import Sum

from exchange import services
from exchange.models import Reservation
from inventory.models import Membership
from tests.factories import AssociationFactory, AvailableItemFactory, OrganisationFactory, member
from tests.races import race

RACERS = 20


def _held_units(item) -> int:
    return Reservation.objects.filter(item=item).holding_units().aggregate(n=Sum("quantity"))["n"] or 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_organisations_race_for_the_last_five_units():
    # Given a lot of 8 chairs of which 3 are already claimed
    giver = OrganisationFactory()
    item = AvailableItemFactory(owner=giver, quantity=8)
    early = AssociationFactory()
    services.reservation_create(actor=member(early, Membership.Role.VOLUNTEER), item=item, requester=early,
                                quantity=3)
    racers = []
    for _ in range(RACERS):
        association = AssociationFactory()
        racers.append((association, member(association, Membership.Role.VOLUNTEER)))

    # When 20 organisations each claim one unit at the same moment
    outcomes = race([
        (lambda org=org, user=user: services.reservation_create(actor=user, item=item, requester=org, quantity=1))
        for org, user in racers
    ])

    # Then exactly 5 claims win, the others are told why, and the counters match the claims
    assert outcomes.count("ok") == 5, outcomes
    assert outcomes.count("not_enough_units") == RACERS - 5, outcomes
    item.refresh_from_db()
    assert item.quantity_reserved == 8 == _held_units(item)
    assert item.status == "reserved"
    assert Reservation.objects.filter(item=item).count() == 1 + 5
    winners = set(Reservation.objects.filter(item=item).exclude(requester=early).values_list("requester", flat=True))
    assert len(winners) == 5  # one claim per winning organisation, none counted twice


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_claims_racing_with_cancellations_keep_the_counters_exact():
    # Given a lot of 4 fully claimed by four organisations
    giver = OrganisationFactory()
    item = AvailableItemFactory(owner=giver, quantity=4)
    holders = []
    for _ in range(4):
        association = AssociationFactory()
        user = member(association, Membership.Role.VOLUNTEER)
        holders.append((user, services.reservation_create(actor=user, item=item, requester=association, quantity=1)))
    newcomers = []
    for _ in range(8):
        association = AssociationFactory()
        newcomers.append((association, member(association, Membership.Role.VOLUNTEER)))

    # When two holders cancel while eight newcomers claim
    calls = [
        (lambda u=user, r=reservation: services.reservation_cancel(actor=u, reservation=r, reason="Plus besoin"))
        for user, reservation in holders[:2]
    ] + [
        (lambda org=org, u=user: services.reservation_create(actor=u, item=item, requester=org, quantity=1))
        for org, user in newcomers
    ]
    outcomes = race(calls)

    # Then both cancellations pass, at most two newcomers win, and nothing is over-committed
    assert outcomes[:2] == ["ok", "ok"], outcomes
    assert set(outcomes[2:]) <= {"ok", "not_enough_units"}, outcomes
    item.refresh_from_db()
    assert item.quantity_reserved == _held_units(item) == 2 + outcomes[2:].count("ok")
    assert item.quantity_reserved <= item.quantity
