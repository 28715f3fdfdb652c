"""The monthly roll-ups give exactly the ledger's own aggregate, for every group and scope.

Records are written the way the application writes them (``impact_record_for`` on claims
delivered or returned at explicit UTC instants), on the awkward edges where the month in
Paris is not the month in UTC:

claim  giver      receiver  when (UTC)              Paris local date   units  notes
d1     A (care)   R         2024-01-31 23:30        2024-02-01         2      answered after: 15 people
d2     A          S         2024-03-31 21:59        2024-03-31 (CEST)  1      weighed 30.5 kg
d3     B (school) R         2024-03-31 22:00        2024-04-01         3      a need for seniors
d4     B          R         2023-12-31 23:00        2024-01-01         1
l5     A          R         loan, returned 2024-06-30 22:30 → 07-01   1      answered before its return: 4
d6     B          S         2024-02-29 12:00        2024-02-29         2      answered after: 0 people
"""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command

from exchange import reports, selectors
from exchange.impact import impact_record_for
from exchange.models import DeliveryFeedback, ImpactMonth, ImpactRecord, Reservation
from inventory.models import Category, Commune, Organisation
from tests.clock import in_mid_2026
from tests.factories import (
    AssociationFactory,
    DepartmentFactory,
    ItemFactory,
    NeedFactory,
    OrganisationFactory,
    member,
)

pytestmark = in_mid_2026
UTC = datetime.UTC


def _utc(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=UTC)


def _claim(giver, receiver, *, when, quantity, category="office-chair", weight_kg=None, need=None, loan_from=None):
    item = ItemFactory(owner=giver, category=Category.objects.get(key=category), quantity=quantity, status="gone")
    fields = {"item": item, "requester": receiver, "quantity": quantity, "need": need, "weight_kg": weight_kg,
              "collected_at": _utc(loan_from or when), "delivered_at": _utc(loan_from or when)}
    if loan_from:
        fields.update(mode="loan", status="returned", returned_at=_utc(when), return_by=_utc(when).date())
    else:
        fields.update(mode="donation", status="delivered")
    return Reservation.objects.create(**fields)


@pytest.fixture
def ledger(db):
    a = OrganisationFactory(name="A", kind=Organisation.Kind.CARE_HOME, commune=Commune.objects.get(insee="94028"))
    b = OrganisationFactory(name="B", kind=Organisation.Kind.SCHOOL, commune=Commune.objects.get(insee="94081"))
    r = AssociationFactory(name="R")
    s = OrganisationFactory(name="S", kind=Organisation.Kind.CARE_HOME)
    d1 = impact_record_for(_claim(a, r, when="2024-01-31 23:30", quantity=2))
    DeliveryFeedback.objects.create(reservation=d1.reservation, people_helped=15)
    impact_record_for(_claim(a, s, when="2024-03-31 21:59", quantity=1, weight_kg=Decimal("30.5")))
    impact_record_for(_claim(b, r, when="2024-03-31 22:00", quantity=3, category="desk-table",
                             need=NeedFactory(organisation=r, beneficiary="seniors")))
    impact_record_for(_claim(b, r, when="2023-12-31 23:00", quantity=1, category="bed"))
    loan = _claim(a, r, when="2024-06-30 22:30", quantity=1, loan_from="2024-06-01 09:00")
    DeliveryFeedback.objects.create(reservation=loan, people_helped=4)
    impact_record_for(loan)
    d6 = impact_record_for(_claim(b, s, when="2024-02-29 12:00", quantity=2))
    DeliveryFeedback.objects.create(reservation=d6.reservation, people_helped=0)
    return {"a": a, "b": b, "r": r, "s": s}


PERIODS = [
    (None, None),
    (datetime.date(2024, 1, 1), datetime.date(2024, 6, 15)),  # the dashboard's "this year" to a day
    (datetime.date(2024, 2, 29), datetime.date(2024, 4, 1)),  # both ends cut a month
    (datetime.date(2023, 12, 31), datetime.date(2024, 3, 30)),
    (datetime.date(2024, 1, 1), datetime.date(2024, 3, 31)),
    (datetime.date(2024, 2, 1), None),
    (None, datetime.date(2024, 2, 29)),
    (datetime.date(2024, 4, 1), datetime.date(2024, 12, 31)),
]


def _both(user, date_from, date_to, group_by):
    records = reports.in_period(selectors.visible_impact_records(user), date_from, date_to)
    months = reports.rolled_up(selectors.visible_impact_months(user), date_from, date_to)
    assert months is not None
    return (reports.impact_summary(records=records, group_by=group_by),
            reports.impact_summary(records=records, group_by=group_by, months=months))


def test_the_records_fall_in_their_paris_month(ledger):
    assert sorted(ImpactRecord.objects.values_list("date", flat=True)) == [
        datetime.date(2024, 1, 1), datetime.date(2024, 2, 1), datetime.date(2024, 2, 29),
        datetime.date(2024, 3, 31), datetime.date(2024, 4, 1), datetime.date(2024, 7, 1),
    ]
    viewer = member(DepartmentFactory(), role="viewer")
    raw, rolled = _both(viewer, None, None, "month")
    assert [(g["key"], g["items"], g["people_helped"]) for g in rolled["groups"]] == [
        ("2024-01", 1, 0), ("2024-02", 4, 15), ("2024-03", 1, 0), ("2024-04", 3, 0), ("2024-07", 1, 4),
    ]
    assert rolled["totals"]["kg_measured"] == Decimal("30.500")
    assert rolled == raw


def test_the_roll_ups_give_the_ledgers_figures_for_every_group(ledger):
    viewer = member(DepartmentFactory(), role="viewer")
    for group_by in (None, *reports.GROUP_BY):  # one data set for all (each test pays its setup)
        for date_from, date_to in PERIODS:
            raw, rolled = _both(viewer, date_from, date_to, group_by)
            assert rolled == raw, (group_by, date_from, date_to)
        assert raw["totals"]["reservations"] == 2  # the last period: d3 and l5, not two empty answers


def test_an_organisation_reads_the_roll_ups_of_its_own_records(ledger):
    staff = member(ledger["s"])  # received d2 and d6 only
    for group_by in (None, "month", "receiver", "giver_kind"):
        raw, rolled = _both(staff, None, None, group_by)
        assert rolled == raw, group_by
        assert rolled["totals"]["reservations"] == 2


def test_a_period_within_one_month_reads_the_records_alone():
    assert reports.rolled_up(ImpactMonth.objects.all(), datetime.date(2024, 1, 2), datetime.date(2024, 1, 31)) is None
    assert reports.rolled_up(ImpactMonth.objects.all(), datetime.date(2024, 2, 1), datetime.date(2024, 2, 28)) is None
    whole = reports.rolled_up(ImpactMonth.objects.all(), datetime.date(2024, 2, 1), datetime.date(2024, 2, 29))
    assert (whole.before, whole.after) == (None, None)
    cut = reports.rolled_up(ImpactMonth.objects.all(), datetime.date(2024, 1, 31), datetime.date(2024, 3, 30))
    assert (cut.before, cut.after) == (datetime.date(2024, 2, 1), datetime.date(2024, 2, 29))


def test_the_summary_reads_one_query_of_roll_ups(ledger, django_assert_num_queries):
    whole = reports.rolled_up(ImpactMonth.objects.all(), None, None)
    with django_assert_num_queries(1):
        reports.impact_summary(records=ImpactRecord.objects.all(), group_by="month", months=whole)
    with django_assert_num_queries(2):  # and the categories' names
        reports.impact_summary(records=ImpactRecord.objects.all(), group_by="category", months=whole)
    cut = reports.rolled_up(ImpactMonth.objects.all(), datetime.date(2024, 1, 1), datetime.date(2024, 6, 15))
    with django_assert_num_queries(3):  # and the records of June 2024 (the ledger's, the answers')
        reports.impact_summary(records=ImpactRecord.objects.all(), group_by="month", months=cut)


def _table():
    return sorted(ImpactMonth.objects.values_list(*ImpactMonth.DIMENSIONS, *ImpactMonth.MEASURES))


def test_the_rebuild_command_gives_the_same_table(ledger, capsys):
    kept = _table()
    assert len(kept) == 6  # one row per record here: no two share every column
    ImpactMonth.objects.update(quantity=0, people_helped=99)  # drifted
    ImpactMonth.objects.filter(month=datetime.date(2024, 7, 1)).delete()
    call_command("rebuild_impact_rollups")
    assert _table() == kept
    assert "6 rows" in capsys.readouterr().out


def test_records_of_one_group_add_up_in_one_row(ledger):
    a, r = ledger["a"], ledger["r"]
    impact_record_for(_claim(a, r, when="2024-02-10 10:00", quantity=5))  # d1's month and columns
    row = ImpactMonth.objects.get(month=datetime.date(2024, 2, 1), giver=a, receiver=r)
    assert (row.records, row.quantity, row.people_helped) == (2, 7, 15)
    assert row.kg == Decimal("83.300")  # 7 chairs of 11.9 kg
