"""Impact reports: totals, groups and KPIs of impact records, computed by the database.

Reads only the typed columns of ``ImpactRecord`` (written once, with the factors, commune and
organisation kinds of their day), so a report re-run next year gives the same figures. The
API, the dashboard, the annual report and the exports all call these functions.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Count,
    DateField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, ExtractYear, NullIf
from django.utils import formats
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from inventory.models import Category, Commune, Item, Organisation

from .models import Beneficiary, DeliveryFeedback, ImpactMonth, ImpactRecord, Pickup, Reservation

GROUP_BY = (
    "month", "quarter", "year", "category", "organisation", "receiver", "commune", "receiver_commune", "kind",
    "giver_kind", "receiver_kind", "beneficiary",
)
PERIODS = ("month", "quarter", "year")


def _sums(model) -> dict:
    """The summed figures, named alike for the records and for their monthly roll-ups."""
    def decimal_sum(name, **extra):
        return Coalesce(Sum(name, **extra), Value(Decimal("0")), output_field=model._meta.get_field(name))

    return {
        "items": Coalesce(Sum("quantity"), Value(0)),
        # The part of ``kg`` weighed at collection rather than estimated (kg_basis "measured").
        # Before "kg": within one annotate(), a later Sum("kg") would name the "kg" sum, not the column.
        "kg_measured": decimal_sum("kg", filter=Q(kg_basis=ImpactRecord.KgBasis.MEASURED)),
        "kg": decimal_sum("kg"),
        "co2e_kg": decimal_sum("co2e_kg"),
        "value_eur": decimal_sum("value_eur"),
    }


FIGURES = {
    **_sums(ImpactRecord),
    # A claim has at most one record (a donation on delivery or a loan on return), so counting
    # records counts claims, without a DISTINCT that would stop PostgreSQL aggregating in parallel.
    "reservations": Count("pk"),
}
# What the receivers said, read from their answers' side: a second, small query (the answers
# joined to their records) rather than a join of every record to the answers (which made
# the summary three to ten times slower on SQLite at 10⁵-10⁶ records).
PEOPLE_HELPED = Coalesce(Sum("feedback__people_helped"), Value(0))
FIGURE_NAMES = (*FIGURES, "people_helped")
# The same figures from the monthly roll-ups (``ImpactMonth``), people helped included.
MONTH_FIGURES = {
    **_sums(ImpactMonth),
    "reservations": Coalesce(Sum("records"), Value(0)),
    "people_helped": Coalesce(Sum("people_helped"), Value(0)),
}


# SQLite sums decimals as floats: give every sum back at the column's precision.
_STEPS = {
    "kg": Decimal("0.001"), "kg_measured": Decimal("0.001"), "co2e_kg": Decimal("0.001"), "value_eur": Decimal("0.01"),
}


def _exact(row: dict) -> dict:
    for name, step in _STEPS.items():
        if name in row:
            row[name] = Decimal(row[name]).quantize(step)
    return row


class PeriodStart(Func):
    """First day of the month, quarter or year of a date column, with each database's own
    function: Django's Trunc* calls a Python function per row on SQLite (seconds at 10⁶ rows)."""

    output_field = DateField()

    def __init__(self, expression, *, period: str):
        if period not in PERIODS:
            raise ValueError(period)
        self.period = period
        super().__init__(expression)

    def as_sql(self, compiler, connection, **extra):
        template = f"DATE_TRUNC('{self.period}', (%(expressions)s)::timestamp)::date"
        return super().as_sql(compiler, connection, template=template)

    def as_sqlite(self, compiler, connection, **extra):
        templates = {
            "month": "DATE(%(expressions)s, 'start of month')",
            "year": "DATE(%(expressions)s, 'start of year')",
            # back (month - 1) % 3 months from the first of the month. A literal % is %% in the
            # SQL that Django runs (the SQLite cursor and DEBUG's query log both unescape it),
            # so %%%% here, where the template's own formatting halves it once first.
            "quarter": "DATE(%(expressions)s, 'start of month', "
            "'-' || ((CAST(STRFTIME('%%%%m', %(expressions)s) AS INTEGER) - 1) %%%% 3) || ' months')",
        }
        return super().as_sql(compiler, connection, template=templates[self.period])


# group_by -> key expression; the labels of id keys are read afterwards, in one small query.
_KEYS = {
    "month": PeriodStart("date", period="month"),
    "quarter": PeriodStart("date", period="quarter"),
    "year": PeriodStart("date", period="year"),
    "category": F("category_id"),
    "organisation": F("giver_id"),
    "receiver": F("receiver_id"),
    "commune": F("commune_id"),
    # The giver's commune is frozen in the record; the receiver's is the organisation's today.
    "receiver_commune": F("receiver__commune_id"),
    "kind": F("kind"),
    "giver_kind": F("giver_kind"),
    "receiver_kind": F("receiver_kind"),
    "beneficiary": F("beneficiary"),
}


# The roll-ups' month column stands for the records' date (every other key has the same name).
_MONTH_KEYS = {period: PeriodStart("month", period=period) for period in PERIODS}


def _as_date(value) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, str):  # some SQLite builds hand the DATE() text back unconverted
        return datetime.date.fromisoformat(value)
    return value


def _key(group_by: str, value) -> str | None:
    if value is None:
        return None
    if group_by in PERIODS:
        day = _as_date(value)
        if group_by == "month":
            return day.strftime("%Y-%m")
        if group_by == "quarter":
            return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
        return str(day.year)
    return str(value)


def _labeller(group_by: str, keys: list):
    """A function key -> label; at most one query for the names of ids."""
    if group_by == "month":
        return lambda key: formats.date_format(_as_date(key), "YEAR_MONTH_FORMAT")
    if group_by == "quarter":
        return lambda key: _("Q%(quarter)s %(year)s") % {
            "quarter": (_as_date(key).month - 1) // 3 + 1, "year": _as_date(key).year}
    if group_by == "year":
        return lambda key: str(_as_date(key).year)
    if group_by == "category":
        english = (get_language() or "fr").startswith("en")
        names = dict(Category.objects.filter(pk__in=keys).values_list("pk", "name_en" if english else "name_fr"))
        return lambda key: names.get(key, "")
    if group_by in ("organisation", "receiver"):
        names = dict(Organisation.objects.filter(pk__in=keys).values_list("pk", "name"))
        return lambda key: names.get(key, "")
    if group_by in ("commune", "receiver_commune"):
        names = dict(Commune.objects.filter(pk__in=keys).values_list("pk", "name"))
        return lambda key: names.get(key, "")
    if group_by == "kind":
        return lambda key: str(ImpactRecord.Kind(key).label) if key in ImpactRecord.Kind.values else key
    if group_by in ("giver_kind", "receiver_kind"):
        return lambda key: str(Organisation.Kind(key).label) if key in Organisation.Kind.values else _("Not specified")
    return lambda key: str(Beneficiary(key).label) if key in Beneficiary.values else _("Not specified")


def in_period(
    records: QuerySet[ImpactRecord], date_from: datetime.date | None, date_to: datetime.date | None,
) -> QuerySet[ImpactRecord]:
    """Records dated from ``date_from`` to ``date_to``, both inclusive (either may be None)."""
    if date_from:
        records = records.filter(date__gte=date_from)
    if date_to:
        records = records.filter(date__lte=date_to)
    return records


@dataclass(frozen=True)
class Rollup:
    """A period read from the monthly roll-ups: ``months`` for its whole months; the records
    dated before ``before`` or after ``after`` (its cut months' days, None when whole) are
    read from the ledger and added."""

    months: QuerySet[ImpactMonth]
    before: datetime.date | None = None
    after: datetime.date | None = None


def rolled_up(
    months: QuerySet[ImpactMonth], date_from: datetime.date | None, date_to: datetime.date | None,
) -> Rollup | None:
    """The period (both ends inclusive, either may be open) as whole months of roll-ups plus
    the days of the months it cuts; None when it holds no whole month (the records alone)."""
    first = date_from
    if date_from and date_from.day != 1:  # from the first of the next month
        first = (date_from.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    last = date_to
    if date_to and (date_to + datetime.timedelta(days=1)).day != 1:  # to the end of the month before
        last = date_to.replace(day=1) - datetime.timedelta(days=1)
    if first and last and first > last:
        return None
    if first:
        months = months.filter(month__gte=first)
    if last:
        months = months.filter(month__lte=last)
    return Rollup(months=months, before=first if first != date_from else None,
                  after=last if last != date_to else None)


def impact_summary(
    *, records: QuerySet[ImpactRecord], group_by: str | None, months: Rollup | None = None,
) -> dict:
    """Totals of ``records`` and, with ``group_by``, the same figures per group.

    ``items`` sums the units, ``reservations`` counts the claims; kg, CO2e and EUR are the
    sums of the records' own figures; ``people_helped`` sums the receivers' answers. Two
    aggregate queries (the ledger's, the answers') plus one for the groups' names.
    With groups, the totals are the sums of the groups: every record falls in exactly one group.

    ``months``, the same period's monthly roll-ups (``rolled_up``), when given, is read
    instead: one query of a few thousand rows rather than millions of records, plus the two
    queries above for the records of the months the period cuts, if any; the same figures
    (``tests/exchange/test_rollups.py``).

    Raises:
        ValueError: ``group_by`` is not one of ``GROUP_BY``.
    """
    if group_by is not None and group_by not in GROUP_BY:
        raise ValueError(f"unknown group_by: {group_by}")
    records = records.order_by()
    if months is None:
        rows = _rows_of_records(records, group_by)
    else:
        rows = _rows_of_months(months.months.order_by(), group_by)
        edges = [Q(date__lt=months.before)] if months.before else []
        edges += [Q(date__gt=months.after)] if months.after else []
        if edges:  # the days of the months the period cuts
            cut = edges[0] | edges[1] if len(edges) == 2 else edges[0]
            rows = _merged(group_by, rows, _rows_of_records(records.filter(cut), group_by))
    if not group_by:
        return {"totals": {name: rows[0][name] for name in FIGURE_NAMES}, "groups": []}
    label = _labeller(group_by, [row["key"] for row in rows])
    groups = [
        {"key": _key(group_by, row["key"]), "label": label(row["key"]), **{name: row[name] for name in FIGURE_NAMES}}
        for row in rows
    ]
    totals = {name: sum((row[name] for row in rows), FIGURES_ZERO[name]) for name in FIGURE_NAMES}
    return {"totals": totals, "groups": groups}


def _rows_of_records(records: QuerySet[ImpactRecord], group_by: str | None) -> list[dict]:
    """The figures per key (one row without ``group_by``): two queries, the ledger's and the answers'."""
    answered = records.filter(feedback__isnull=False)
    if not group_by:
        totals = _exact(records.aggregate(**FIGURES))
        totals["people_helped"] = answered.aggregate(people_helped=PEOPLE_HELPED)["people_helped"]
        return [totals]
    key = _KEYS[group_by]
    rows = [_exact(row) for row in records.annotate(key=key).values("key").annotate(**FIGURES).order_by("key")]
    people = dict(answered.annotate(key=key).values("key").annotate(n=PEOPLE_HELPED).values_list("key", "n"))
    for row in rows:
        row["people_helped"] = people.get(row["key"], 0)
    return rows


def _rows_of_months(months: QuerySet[ImpactMonth], group_by: str | None) -> list[dict]:
    """The same rows from the roll-ups: one query."""
    if not group_by:
        return [_exact(months.aggregate(**MONTH_FIGURES))]
    key = _MONTH_KEYS.get(group_by, _KEYS[group_by])
    return [_exact(row) for row in months.annotate(key=key).values("key").annotate(**MONTH_FIGURES).order_by("key")]


def _merged(group_by: str | None, *parts: list[dict]) -> list[dict]:
    """Rows of the same keys added up, in key order (None last)."""
    merged = {}
    for rows in parts:
        for row in rows:
            key = _as_date(row.get("key")) if group_by in PERIODS else row.get("key")
            if key in merged:
                for name in FIGURE_NAMES:
                    merged[key][name] += row[name]
            else:
                merged[key] = {**row, "key": key}
    return [merged[key] for key in sorted(merged, key=lambda key: (key is None, key if key is not None else 0))]


FIGURES_ZERO = {
    "items": 0, "kg": Decimal("0.000"), "kg_measured": Decimal("0.000"), "co2e_kg": Decimal("0.000"),
    "value_eur": Decimal("0.00"), "reservations": 0, "people_helped": 0,
}


#
# KPIs
#
TAKEN = (Reservation.Status.COLLECTED, Reservation.Status.DELIVERED, Reservation.Status.RETURNED)


def impact_kpis(
    *,
    records: QuerySet[ImpactRecord],
    items: QuerySet[Item],
    date_from: datetime.date | None,
    date_to: datetime.date | None,
) -> dict:
    """The dashboard's key figures for a period (both ends inclusive; None leaves it open).

    ``records`` and ``items`` are the reader's scope (``exchange.selectors``), not yet
    limited to the period. Figures (see the methodology page):

    - ``items_reused``: units given away (donation records); ``loans`` and ``loan_days``: the
      loan records and the sum of their days; ``kg``, ``co2e_kg``, ``value_eur``: sums of
      every record's frozen figures; ``kg_measured``: the part of ``kg`` weighed at
      collection, ``kg_measured_share`` its percentage of ``kg`` (None without kg);
    - ``givers`` / ``receivers``: organisations with at least one record as giver / receiver;
    - ``needs_met``: distinct needs served by the records, ``need_units`` their units;
    - ``people_helped``: what the receivers said the counted claims helped (those who answered);
    - ``reuse_rate``: of the items of ``items`` published in the period whose fate is known,
      the share that found a taker (a claim collected, delivered or returned) rather than
      expiring; None when no such item;
    - ``median_days``: median days from an item's publication to the collection of the claims
      counted by the records; None when none.

    Five queries, whatever the number of records.
    """
    period = in_period(records, date_from, date_to).order_by()
    donation, loan = Q(kind=ImpactRecord.Kind.DONATION), Q(kind=ImpactRecord.Kind.LOAN)
    kpis = _exact(period.aggregate(
        items_reused=Coalesce(Sum("quantity", filter=donation), Value(0)),
        loans=Count("pk", filter=loan),
        loan_days=Coalesce(Sum("loan_days", filter=loan), Value(0)),
        kg_measured=FIGURES["kg_measured"],  # before kg (see FIGURES)
        kg=FIGURES["kg"],
        co2e_kg=FIGURES["co2e_kg"],
        value_eur=FIGURES["value_eur"],
        givers=Count("giver", distinct=True),
        receivers=Count("receiver", distinct=True),
        needs_met=Count("reservation__need", distinct=True),
        need_units=Coalesce(Sum("quantity", filter=Q(reservation__need__isnull=False)), Value(0)),
    ))
    kpis["people_helped"] = period.filter(feedback__isnull=False).aggregate(n=PEOPLE_HELPED)["n"]
    kpis["kg_measured_share"] = (
        (kpis["kg_measured"] / kpis["kg"] * 100).quantize(Decimal("0.1")) if kpis["kg"] else None
    )
    kpis["reuse_rate"], kpis["published"], kpis["taken"] = _reuse_rate(items, date_from, date_to)
    kpis["median_days"] = _median_days(period)
    return kpis


def _reuse_rate(items: QuerySet[Item], date_from, date_to) -> tuple[Decimal | None, int, int]:
    published = items.filter(published_at__isnull=False).order_by()
    if date_from:
        published = published.filter(published_at__date__gte=date_from)
    if date_to:
        published = published.filter(published_at__date__lte=date_to)
    taken_q = Exists(Reservation.objects.filter(item=OuterRef("pk"), status__in=TAKEN))
    counts = published.annotate(has_taker=taken_q).aggregate(
        taken=Count("pk", filter=Q(has_taker=True)),
        expired=Count("pk", filter=Q(has_taker=False, status=Item.Status.EXPIRED)),
    )
    settled = counts["taken"] + counts["expired"]
    rate = (Decimal(counts["taken"]) / settled * 100).quantize(Decimal("0.1")) if settled else None
    return rate, settled, counts["taken"]


def _median_days(records: QuerySet[ImpactRecord]) -> Decimal | None:
    """Median in SQL: order the delays, count them, read the middle one or two rows."""
    delays = (
        records.filter(reservation__collected_at__isnull=False, reservation__item__published_at__isnull=False)
        .annotate(delay=ExpressionWrapper(
            F("reservation__collected_at") - F("reservation__item__published_at"), output_field=DurationField()))
        .order_by("delay")
        .values_list("delay", flat=True)
    )
    count = delays.count()
    if not count:
        return None
    middle = list(delays[(count - 1) // 2: count // 2 + 1])
    seconds = sum(delay.total_seconds() for delay in middle) / len(middle)
    return (Decimal(seconds) / 86400).quantize(Decimal("0.1"))


#
# Pickups missed
#
def missed_pickups(*, pickups, date_from: datetime.date | None, date_to: datetime.date | None, limit: int = 20) -> dict:
    """Pickups missed in a period (by their planned day, both ends inclusive), counted per
    giver and per association against the pickups planned: ``{"missed", "planned",
    "by_giver": [{"id", "name", "missed", "planned"}], "by_association": [...]}``, the
    ``limit`` most missed of each. ``pickups`` is the reader's scope. Three queries."""
    period = pickups.order_by()
    if date_from:
        period = period.filter(window_start__date__gte=date_from)
    if date_to:
        period = period.filter(window_start__date__lte=date_to)
    missed = Q(status=Pickup.Status.MISSED)
    figures = {"missed": Count("pk", filter=missed), "planned": Count("pk")}

    def per(field: str) -> list[dict]:
        rows = (period.values(field, f"{field}__name").annotate(**figures).filter(missed__gt=0)
                .order_by("-missed", f"{field}__name")[:limit])
        return [{"id": row[field], "name": row[f"{field}__name"], "missed": row["missed"], "planned": row["planned"]}
                for row in rows]

    return {**period.aggregate(**figures), "by_giver": per("giver"), "by_association": per("organisation")}


#
# People helped (what the receivers said)
#
def people_by_public(records: QuerySet[ImpactRecord]) -> list[dict]:
    """People helped per beneficiary public, for the records that got an answer: the public
    the receiver named, else the need's. ``[{"key", "label", "people", "answers"}]``, most first."""
    public = Coalesce(NullIf("feedback__beneficiary", Value("")), NullIf("beneficiary", Value("")),
                      Value(""))
    rows = (
        records.order_by().filter(feedback__isnull=False)
        .annotate(public=public).values("public")
        .annotate(people=Sum("feedback__people_helped"), answers=Count("pk"))
        .order_by("-people", "public")
    )
    label = _labeller("beneficiary", [])
    return [{"key": row["public"], "label": label(row["public"]), "people": row["people"], "answers": row["answers"]}
            for row in rows]


def quotes(records: QuerySet[ImpactRecord], *, limit: int = 5) -> list[dict]:
    """A few sentences the receivers allowed the report to quote, never with a person's name:
    ``[{"text", "people", "kind", "commune"}]`` (the receiving organisation's kind and commune)."""
    answers = (
        DeliveryFeedback.objects.filter(consent_to_quote=True, reservation__impact_records__in=records.order_by())
        .exclude(comment="")
        .select_related("reservation__requester__commune")
        .order_by("-people_helped", "-created_at")[:limit]
    )
    return [
        {"text": answer.comment, "people": answer.people_helped,
         "kind": answer.reservation.requester.get_kind_display(), "commune": answer.reservation.requester.commune.name}
        for answer in answers
    ]


def impact_by_commune(
    *, records: QuerySet[ImpactRecord], side: str, months: Rollup | None = None,
) -> dict[str, dict]:
    """The summary's figures per commune code, by the giver's commune (``side="giver"``, as
    recorded) or the receiver's (its commune today). Communes without records are absent."""
    group_by = {"giver": "commune", "receiver": "receiver_commune"}[side]
    summary = impact_summary(records=records, group_by=group_by, months=months)
    return {group["key"]: {name: group[name] for name in FIGURE_NAMES} for group in summary["groups"]
            if group["key"]}


#
# Shared equipment (mutualisation): uses and purchases avoided, kept apart from reuse
#
def sharing_figures(*, bookings: QuerySet, date_from: datetime.date | None, date_to: datetime.date | None) -> dict:
    """What sharing equipment achieved in a period, from returned bookings (``pooling.Booking``,
    the reader's scope from ``pooling.selectors.visible_shared_uses``), dated by their return.

    Never added to the reuse figures above: a shared item stays with its owner, nothing left
    the waste stream and no unit changed hands. Figures (see the methodology page):

    - ``shared_uses``: bookings returned; ``facilities``: distinct organisations that used
      shared items; ``items_shared``: distinct items used;
    - ``purchases_avoided``, an estimate: each distinct organisation that used an item in a
      calendar year counts as one purchase of that item avoided (the owner never books its
      own); ``purchases_avoided_value_eur`` / ``_co2e_kg`` value each at the largest number of
      units that organisation booked that year × the unit value (the item's, else its
      category's) and the category's avoided emissions, frozen on the booking at its return;
    - ``items``: per item, its uses and the facilities that used it (most used first).

    One query, whatever the number of bookings.
    """
    if date_from:
        bookings = bookings.filter(returned_at__date__gte=date_from)
    if date_to:
        bookings = bookings.filter(returned_at__date__lte=date_to)
    rows = (
        bookings.order_by()
        .values("item_id", "item__title", "requester_id", year=ExtractYear("returned_at"))
        .annotate(uses=Count("pk"), units=Max("quantity"), unit_value=Max("unit_value_eur"),
                  unit_co2e=Max("unit_co2e_kg"))
    )
    uses, value, co2e = 0, Decimal("0"), Decimal("0")
    facilities, per_item = set(), {}
    purchases = 0
    for row in rows:
        uses += row["uses"]
        purchases += 1
        facilities.add(row["requester_id"])
        value += row["units"] * Decimal(row["unit_value"] or 0)
        co2e += row["units"] * Decimal(row["unit_co2e"] or 0)
        entry = per_item.setdefault(row["item_id"], {"item": row["item_id"], "title": row["item__title"], "uses": 0,
                                                     "facility_ids": set()})
        entry["uses"] += row["uses"]
        entry["facility_ids"].add(row["requester_id"])
    items = sorted(
        ({"item": e["item"], "title": e["title"], "uses": e["uses"], "facilities": len(e["facility_ids"])}
         for e in per_item.values()),
        key=lambda e: (-e["uses"], e["title"]),
    )
    return {
        "shared_uses": uses, "facilities": len(facilities), "items_shared": len(per_item),
        "purchases_avoided": purchases,
        "purchases_avoided_value_eur": value.quantize(_STEPS["value_eur"]),
        "purchases_avoided_co2e_kg": co2e.quantize(_STEPS["co2e_kg"]),
        "items": items,
    }
