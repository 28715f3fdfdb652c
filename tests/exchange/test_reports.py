"""Impact reports: every KPI and group on a hand-built data set, figures worked out by hand.

The data set (first quarter 2026, unless said otherwise):

claim  giver (kind, commune) receiver    published   collected   record           units  kg      CO2e     EUR    need
r1     A care home, Créteil R assoc.    2026-01-05  2026-01-08  donation 01-10   2      23.800  71.400   300.00 seniors
r2     B school, Vitry      S care h.   2026-02-01  2026-02-11  donation 02-12   1      34.000* 60.100   250.00 —
r3     A                    R           2026-01-20  2026-01-21  loan 03-03, 40d  1      0.000   10.000   20.00  disab.
r7     B                    R           2025-12-01  2025-12-20  donation 12-21   5      50.000  100.000  500.00 —

(*) weighed at collection (``kg_basis`` measured); the other kg are estimated.

Items without a taker: i4 (B) published 2026-02-15 and expired; i5 (A) published 2026-03-01,
still available; i6 (A) published 2026-03-10, withdrawn. Organisation I has no activity.
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from exchange import reports, selectors
from exchange.models import DeliveryFeedback, ImpactRecord, Reservation
from inventory import services as inventory_services
from inventory.models import Category, Commune, Item, Organisation
from tests.clock import in_mid_2026
from tests.factories import AssociationFactory, ItemFactory, NeedFactory, OrganisationFactory, member

pytestmark = in_mid_2026

Q1 = (datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))


def _at(day: str) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.fromisoformat(day + " 10:00"))


def _claim(giver, receiver, *, category, published, collected, record_on, quantity, kg, co2e, eur,
           mode="donation", loan_days=None, need=None, kg_basis="estimated"):
    category = Category.objects.get(key=category)
    item = ItemFactory(owner=giver, category=category, quantity=quantity, status=Item.Status.GONE,
                       published_at=_at(published))
    reservation = Reservation.objects.create(
        item=item, requester=receiver, quantity=quantity, mode=mode, need=need,
        status="returned" if mode == "loan" else "delivered", return_by=record_on if mode == "loan" else None,
        collected_at=_at(collected),
    )
    return ImpactRecord.objects.create(
        reservation=reservation, kind=mode, date=datetime.date.fromisoformat(record_on), quantity=quantity,
        kg=Decimal(kg), kg_basis=kg_basis, co2e_kg=Decimal(co2e), value_eur=Decimal(eur), category=category,
        giver=giver, receiver=receiver, commune=giver.commune, giver_kind=giver.kind, receiver_kind=receiver.kind,
        beneficiary=need.beneficiary if need else "", loan_days=loan_days,
        unit_weight_kg=Decimal("11.9"), unit_co2e_kg=Decimal("35.7"), unit_value_eur=Decimal("150"),
    )


@pytest.fixture
def data(db):
    a = OrganisationFactory(name="A", kind=Organisation.Kind.CARE_HOME, commune=Commune.objects.get(insee="94028"))
    b = OrganisationFactory(name="B", kind=Organisation.Kind.SCHOOL, commune=Commune.objects.get(insee="94081"))
    r = AssociationFactory(name="R")
    s = OrganisationFactory(name="S", kind=Organisation.Kind.CARE_HOME)
    idle = OrganisationFactory(name="I")
    n1 = NeedFactory(organisation=r, beneficiary="seniors")
    n2 = NeedFactory(organisation=r, beneficiary="disabled")
    r1 = _claim(a, r, category="office-chair", published="2026-01-05", collected="2026-01-08",
                record_on="2026-01-10", quantity=2, kg="23.800", co2e="71.400", eur="300.00", need=n1)
    DeliveryFeedback.objects.create(reservation=r1.reservation, people_helped=15, beneficiary="seniors")
    _claim(b, s, category="desk-table", published="2026-02-01", collected="2026-02-11", record_on="2026-02-12",
           quantity=1, kg="34.000", co2e="60.100", eur="250.00", kg_basis="measured")
    _claim(a, r, category="bed", published="2026-01-20", collected="2026-01-21", record_on="2026-03-03",
           quantity=1, kg="0.000", co2e="10.000", eur="20.00", mode="loan", loan_days=40, need=n2)
    _claim(b, r, category="desk-table", published="2025-12-01", collected="2025-12-20", record_on="2025-12-21",
           quantity=5, kg="50.000", co2e="100.000", eur="500.00")
    ItemFactory(owner=b, status=Item.Status.EXPIRED, published_at=_at("2026-02-15"))
    ItemFactory(owner=a, status=Item.Status.AVAILABLE, published_at=_at("2026-03-01"))
    ItemFactory(owner=a, status=Item.Status.WITHDRAWN, published_at=_at("2026-03-10"))
    ItemFactory(owner=a, status=Item.Status.DRAFT)  # never published: never counted
    return {"a": a, "b": b, "r": r, "s": s, "idle": idle}


def _kpis(user, date_from, date_to):
    return reports.impact_kpis(
        records=selectors.visible_impact_records(user), items=selectors.impact_items(user),
        date_from=date_from, date_to=date_to,
    )


def test_every_kpi_for_the_department(data, viewer):
    kpis = _kpis(viewer, *Q1)

    assert kpis == {
        "items_reused": 3,                      # r1 2 + r2 1 (the loan is not a reuse of units)
        "loans": 1, "loan_days": 40,            # r3
        "kg": Decimal("57.800"),                # 23.8 + 34 + 0
        "kg_measured": Decimal("34.000"),       # r2 was weighed
        "kg_measured_share": Decimal("58.8"),   # 34 / 57.8
        "co2e_kg": Decimal("141.500"),          # 71.4 + 60.1 + 10
        "value_eur": Decimal("570.00"),         # 300 + 250 + 20
        "givers": 2, "receivers": 2,            # A, B / R, S
        "people_helped": 15,                    # R's answer on r1
        "needs_met": 2, "need_units": 3,        # n1 (2 units), n2 (1 unit)
        "reuse_rate": Decimal("75.0"),          # taken i1 i2 i3 of settled i1 i2 i3 i4 (i5 open, i6 withdrawn)
        "published": 4, "taken": 3,
        "median_days": Decimal("3.0"),          # delays 1, 3, 10 days
    }


def test_median_of_an_even_count_is_the_mean_of_the_middle_two(data, viewer):
    kpis = _kpis(viewer, datetime.date(2026, 1, 1), datetime.date(2026, 2, 28))  # r1 (3 d) and r2 (10 d)

    assert kpis["median_days"] == Decimal("6.5")
    assert kpis["items_reused"] == 3 and kpis["loans"] == 0


def test_an_empty_period_has_zeros_and_no_rates(data, viewer):
    kpis = _kpis(viewer, datetime.date(2027, 1, 1), datetime.date(2027, 12, 31))

    assert kpis == {
        "items_reused": 0, "loans": 0, "loan_days": 0, "kg": Decimal("0"), "kg_measured": Decimal("0"),
        "kg_measured_share": None, "co2e_kg": Decimal("0"),
        "value_eur": Decimal("0"), "givers": 0, "receivers": 0, "needs_met": 0, "need_units": 0,
        "people_helped": 0, "reuse_rate": None, "published": 0, "taken": 0, "median_days": None,
    }
    summary = reports.impact_summary(
        records=reports.in_period(selectors.visible_impact_records(viewer), datetime.date(2027, 1, 1), None),
        group_by="month",
    )
    assert summary == {"totals": reports.FIGURES_ZERO, "groups": []}


def test_an_organisation_sees_its_own_figures(data):
    b_staff = member(data["b"], "staff")

    kpis = _kpis(b_staff, *Q1)

    assert kpis["items_reused"] == 1 and kpis["kg"] == Decimal("34.000") and kpis["value_eur"] == Decimal("250.00")
    assert (kpis["givers"], kpis["receivers"], kpis["loans"], kpis["needs_met"]) == (1, 1, 0, 0)
    assert kpis["reuse_rate"] == Decimal("50.0")  # i2 taken, i4 expired
    assert kpis["median_days"] == Decimal("10.0")


def test_an_organisation_with_no_activity_has_zeros(data):
    kpis = _kpis(member(data["idle"], "staff"), None, None)

    assert kpis["items_reused"] == kpis["loans"] == kpis["givers"] == kpis["needs_met"] == 0
    assert kpis["kg"] == Decimal("0") and kpis["reuse_rate"] is None and kpis["median_days"] is None


def test_a_receiver_counts_what_it_received(data):
    kpis = _kpis(member(data["r"], "volunteer"), *Q1)

    assert (kpis["items_reused"], kpis["loans"], kpis["kg"]) == (2, 1, Decimal("23.800"))
    assert kpis["reuse_rate"] is None  # R published nothing


@pytest.mark.parametrize(
    "group_by, expected",
    [
        # (key, items, kg) per group, over all dates
        ("month", [("2025-12", 5, "50.000"), ("2026-01", 2, "23.800"), ("2026-02", 1, "34.000"),
                   ("2026-03", 1, "0.000")]),
        ("quarter", [("2025-Q4", 5, "50.000"), ("2026-Q1", 4, "57.800")]),
        ("year", [("2025", 5, "50.000"), ("2026", 4, "57.800")]),
        ("giver_kind", [("care_home", 3, "23.800"), ("school", 6, "84.000")]),
        ("receiver_kind", [("association", 8, "73.800"), ("care_home", 1, "34.000")]),
        ("beneficiary", [("", 6, "84.000"), ("disabled", 1, "0.000"), ("seniors", 2, "23.800")]),
        ("commune", [("94028", 3, "23.800"), ("94081", 6, "84.000")]),
    ],
)
def test_groups(data, viewer, group_by, expected):
    summary = reports.impact_summary(records=selectors.visible_impact_records(viewer), group_by=group_by)

    assert [(g["key"], g["items"], str(g["kg"])) for g in summary["groups"]] == expected
    assert all(g["label"] for g in summary["groups"])
    assert summary["totals"]["items"] == 9 and summary["totals"]["kg"] == Decimal("107.800")
    assert summary["totals"]["reservations"] == 4
    assert summary["totals"]["kg_measured"] == sum(g["kg_measured"] for g in summary["groups"]) == Decimal("34.000")


def test_quarter_labels(data, viewer):
    groups = reports.impact_summary(records=selectors.visible_impact_records(viewer), group_by="quarter")["groups"]

    assert [g["label"] for g in groups] == ["Q4 2025", "Q1 2026"]


def test_groups_are_read_in_constant_queries(data, viewer, django_assert_num_queries):
    records = selectors.visible_impact_records(viewer)
    # the membership check of the selector runs inside the group queries
    with django_assert_num_queries(3):
        reports.impact_summary(records=records, group_by="category")  # groups, people helped, the names
    with django_assert_num_queries(2):
        reports.impact_summary(records=records, group_by="month")
    for n in range(5):
        other = AssociationFactory()
        record = _claim(data["a"], other, category="bed", published="2026-01-05", collected="2026-01-08",
                        record_on=f"2026-0{1 + n % 3}-2{n}", quantity=1, kg="1", co2e="1", eur="1")
        DeliveryFeedback.objects.create(reservation=record.reservation, people_helped=n)
    with django_assert_num_queries(3):
        summary = reports.impact_summary(records=records, group_by="category")
    assert summary["totals"]["people_helped"] == 15 + 0 + 1 + 2 + 3 + 4


def test_a_closed_period_gives_the_same_report_after_changes(data, viewer, manager):
    def report():
        records = reports.in_period(selectors.visible_impact_records(viewer), *Q1)
        return (
            _kpis(viewer, *Q1),
            [reports.impact_summary(records=records, group_by=g) for g in ("giver_kind", "commune", "category")],
        )

    before = report()

    # factors, items and organisations all change afterwards
    for category in Category.objects.filter(key__in=["office-chair", "desk-table", "bed"]):
        inventory_services.category_update_factors(
            actor=manager, category=category, unit_weight_kg=Decimal("99"), unit_co2e_kg=Decimal("999"),
            unit_value_eur=Decimal("9999"), reason="new study",
        )
    for item in Item.objects.filter(owner=data["a"]):
        item.unit_weight_kg, item.title = Decimal("500"), "changed"
        item.save()
    for organisation in (data["a"], data["b"]):
        inventory_services.organisation_update(
            actor=manager, organisation=organisation, kind=Organisation.Kind.OTHER,
            commune=Commune.objects.get(insee="94033"),
        )

    assert report() == before


def test_unknown_group_is_refused(viewer):
    with pytest.raises(ValueError):
        reports.impact_summary(records=ImpactRecord.objects.all(), group_by="planet")
