"""Impact reports: totals and groups of impact records, computed by the database.

Reads only the typed columns of ``ImpactRecord`` (written once, with the factors of their
day), so a report re-run next year gives the same figures.
"""

import datetime
from decimal import Decimal

from django.db.models import Count, F, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import formats
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .models import Beneficiary, ImpactRecord

GROUP_BY = ("month", "category", "organisation", "receiver", "commune", "kind", "beneficiary")

FIGURES = {
    "items": Coalesce(Sum("quantity"), Value(0)),
    "kg": Coalesce(Sum("kg"), Value(Decimal("0")), output_field=ImpactRecord._meta.get_field("kg")),
    "co2e_kg": Coalesce(Sum("co2e_kg"), Value(Decimal("0")), output_field=ImpactRecord._meta.get_field("co2e_kg")),
    "value_eur": Coalesce(
        Sum("value_eur"), Value(Decimal("0")), output_field=ImpactRecord._meta.get_field("value_eur")
    ),
    "reservations": Count("reservation", distinct=True),
}

# group_by -> (key expression, label columns fetched alongside)
_KEYS = {
    "month": (TruncMonth("date"), ()),
    "category": (F("category_id"), ("category__name_fr", "category__name_en")),
    "organisation": (F("giver_id"), ("giver__name",)),
    "receiver": (F("receiver_id"), ("receiver__name",)),
    "commune": (F("commune_id"), ("commune__name",)),
    "kind": (F("kind"), ()),
    "beneficiary": (F("beneficiary"), ()),
}


def _label(group_by: str, row: dict) -> str:
    key = row["key"]
    if group_by == "month":
        return formats.date_format(key, "YEAR_MONTH_FORMAT") if key else ""
    if group_by == "category":
        english = (get_language() or "fr").startswith("en")
        return row["category__name_en"] if english else row["category__name_fr"]
    if group_by in ("organisation", "receiver", "commune"):
        return row[_KEYS[group_by][1][0]]
    if group_by == "kind":
        return str(ImpactRecord.Kind(key).label) if key in ImpactRecord.Kind.values else key
    if group_by == "beneficiary":
        return str(Beneficiary(key).label) if key in Beneficiary.values else _("Not specified")
    return str(key)


def _key(value):
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.strftime("%Y-%m")
    return None if value is None else str(value)


def impact_summary(*, records: QuerySet[ImpactRecord], group_by: str | None) -> dict:
    """Totals of ``records`` and, with ``group_by``, the same figures per group.

    ``items`` sums the units, ``reservations`` counts the claims; kg, CO2e and EUR are the
    sums of the records' own figures. Two queries, whatever the number of records.

    Raises:
        ValueError: ``group_by`` is not one of ``GROUP_BY``.
    """
    if group_by is not None and group_by not in GROUP_BY:
        raise ValueError(f"unknown group_by: {group_by}")
    records = records.order_by()
    totals = records.aggregate(**FIGURES)
    groups = []
    if group_by:
        expression, label_columns = _KEYS[group_by]
        rows = (
            records.annotate(key=expression)
            .values("key", *label_columns)
            .annotate(**FIGURES)
            .order_by("key")
        )
        for row in rows:
            groups.append(
                {
                    "key": _key(row["key"]),
                    "label": _label(group_by, row),
                    **{name: row[name] for name in FIGURES},
                }
            )
    return {"totals": totals, "groups": groups}
