"""The demo builder walks real claims through every status with the services."""

import datetime as dt

import pytest
from django.utils import timezone

from exchange import reports
from exchange.demo import DEMO_STEPS, build_demo_history, build_demo_workflow
from exchange.models import ImpactMonth, ImpactRecord, Need, Pickup
from inventory.models import Item
from tests.clock import PARIS
from tests.factories import AvailableItemFactory


def test_the_demo_has_a_reservation_in_every_status(giver, staff, coordinator, volunteer, association):
    items = [AvailableItemFactory(owner=giver, quantity=2) for _ in DEMO_STEPS]

    reservations = build_demo_workflow(items=items, users={"coordinator": coordinator, "volunteer": volunteer})

    assert [r.status for r in reservations] == list(DEMO_STEPS)
    assert {r.requester for r in reservations} == {association}
    assert sorted(ImpactRecord.objects.values_list("kind", flat=True)) == ["donation", "loan"]
    assert Need.objects.filter(organisation=association, status="open").count() == 1


# Days on which steps of 30 days back used to miss or double a calendar month, and the
# evening when UTC and Paris are in different years.
INSTANTS = [
    dt.datetime(2026, 12, 1, 10, 0, tzinfo=PARIS),
    dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC),
    dt.datetime(2027, 3, 31, 12, 0, tzinfo=PARIS),
    dt.datetime(2028, 2, 29, 12, 0, tzinfo=dt.UTC),
]


def _in_paris(moment):
    return moment.astimezone(PARIS)


@pytest.mark.parametrize("instant", INSTANTS, ids=lambda instant: instant.isoformat())
def test_the_demo_history_spreads_real_deliveries_over_the_past_year(
    time_machine, instant, giver, staff, coordinator, volunteer
):
    time_machine.move_to(instant, tick=False)
    items = [AvailableItemFactory(owner=giver, quantity=3) for _ in range(6)]

    delivered = build_demo_history(items=items, users={"coordinator": coordinator, "volunteer": volunteer}, months=3)

    assert [r.status for r in delivered] == ["delivered"] * 6
    assert [r.quantity for r in delivered] == [1, 2, 3, 1, 2, 3]
    records = ImpactRecord.objects.order_by("reservation_id")
    today = timezone.localdate()
    assert records.count() == 6 and len({(r.date.year, r.date.month) for r in records}) == 3
    assert all(r.date <= today for r in records)
    assert {(r.date.year, r.date.month) for r in records[:1]} == {(today.year, today.month)}
    assert len({r.beneficiary for r in records}) == 5  # each public served in turn
    assert {item.status for item in Item.objects.filter(pk__in=[i.pk for i in items])} == {"available", "gone"}
    # the dashboard reads whole months from the roll-ups: they follow the records' months
    from_rollups = reports.impact_summary(records=ImpactRecord.objects.all(), group_by="month",
                                          months=reports.rolled_up(ImpactMonth.objects.all(), None, None))
    assert from_rollups == reports.impact_summary(records=ImpactRecord.objects.all(), group_by="month")
    assert len(from_rollups["groups"]) == 3


@pytest.mark.parametrize("instant", INSTANTS[:2], ids=lambda instant: instant.isoformat())
def test_the_demo_pickups_are_in_daytime_windows_in_paris(time_machine, instant, giver, staff, coordinator,
                                                          volunteer):
    time_machine.move_to(instant, tick=False)
    users = {"coordinator": coordinator, "volunteer": volunteer}
    build_demo_workflow(items=[AvailableItemFactory(owner=giver, quantity=2) for _ in DEMO_STEPS], users=users)
    build_demo_history(items=[AvailableItemFactory(owner=giver, quantity=3) for _ in range(3)], users=users)

    windows = [(_in_paris(p.window_start), _in_paris(p.window_end)) for p in Pickup.objects.order_by("pk")]

    assert len(windows) == 4 + 3
    assert {(start.time(), end.time()) for start, end in windows} == {(dt.time(9), dt.time(11))}
    scheduled = Pickup.objects.get(reservations__status="scheduled")
    assert _in_paris(scheduled.window_start).date() == timezone.localdate() + dt.timedelta(days=2)
