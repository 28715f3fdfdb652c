"""The impact ledger's monthly roll-ups (``ImpactMonth``): the one place that keeps them.

Each roll-up row sums the records of one month sharing every column the summary groups or
filters by (kind, weight basis, category, giver, receiver, commune, public, organisation
kinds), with the people the receivers said those claims helped. Rows are added to, never
recomputed, in the transaction that saves a record (``add_record``, called by
``ImpactRecord.save``) or a receiver's answer (``add_people``, called by
``DeliveryFeedback.save``); rows written around the models (``bulk_create``, SQL) are not
counted until ``rebuild``, which recomputes the whole table from the ledger
(``manage.py rebuild_impact_rollups``); and ``tests/exchange/test_rollups.py`` proves both
give what the ledger's own aggregate gives.
"""

from django.db import connection, transaction
from django.db.models import Count, Sum

from .models import DeliveryFeedback, ImpactMonth, ImpactRecord

_TABLE = ImpactMonth._meta.db_table
_DIMENSIONS = ImpactMonth.DIMENSIONS
_MEASURES = ImpactMonth.MEASURES


def _dimensions_of(record: ImpactRecord) -> dict:
    return {
        "month": record.date.replace(day=1), "kind": record.kind, "kg_basis": record.kg_basis,
        "category_id": record.category_id, "giver_id": record.giver_id, "receiver_id": record.receiver_id,
        "commune_id": record.commune_id, "beneficiary": record.beneficiary, "giver_kind": record.giver_kind,
        "receiver_kind": record.receiver_kind,
    }


def _add(dimensions: dict, measures: dict) -> None:
    """Add ``measures`` to the row of ``dimensions``, creating it: one upsert, safe against a
    concurrent writer of the same row (both databases support ``ON CONFLICT … DO UPDATE``)."""
    columns = [*_DIMENSIONS, *_MEASURES]
    values = [dimensions[name] for name in _DIMENSIONS] + [measures[name] for name in _MEASURES]
    updates = ", ".join(f"{name} = {_TABLE}.{name} + EXCLUDED.{name}" for name in _MEASURES)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_TABLE} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))}) "
            f"ON CONFLICT ({', '.join(_DIMENSIONS)}) DO UPDATE SET {updates}",
            values,
        )


def add_record(record: ImpactRecord) -> None:
    """Count a record just written (with the people helped, if its receiver already answered:
    a loan's answer may come before its return)."""
    people = (
        DeliveryFeedback.objects.filter(reservation_id=record.reservation_id)
        .values_list("people_helped", flat=True).first()
    ) or 0
    _add(_dimensions_of(record), {
        "quantity": record.quantity, "kg": record.kg, "co2e_kg": record.co2e_kg, "value_eur": record.value_eur,
        "records": 1, "people_helped": people,
    })


def add_people(*, reservation_id: int, people_helped: int) -> None:
    """Count a receiver's answer in the rows of the claim's records (none yet for a loan not
    returned: ``add_record`` counts it then)."""
    for record in ImpactRecord.objects.filter(reservation_id=reservation_id).order_by("pk"):
        _add(_dimensions_of(record), dict.fromkeys(_MEASURES, 0) | {"people_helped": people_helped})


def _month_key():
    from .reports import PeriodStart  # reports reads the roll-ups: imported late

    return PeriodStart("date", period="month")


@transaction.atomic
def rebuild() -> int:
    """Recompute every roll-up row from the ledger; returns the number of rows.

    On PostgreSQL the table is locked first, so a record written meanwhile is either in the
    ledger read here or added after the rebuild commits, never lost nor counted twice."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {_TABLE} IN EXCLUSIVE MODE")
    ImpactMonth.objects.all().delete()
    records = ImpactRecord.objects.order_by().annotate(month=_month_key())
    rows = {}
    for row in records.values(*_DIMENSIONS).annotate(
        s_quantity=Sum("quantity"), s_kg=Sum("kg"), s_co2e_kg=Sum("co2e_kg"), s_value_eur=Sum("value_eur"),
        s_records=Count("pk"),
    ).iterator(chunk_size=5000):
        key = tuple(str(row[name]) if name == "month" else row[name] for name in _DIMENSIONS)
        rows[key] = ImpactMonth(
            **{name: row[name] for name in _DIMENSIONS},
            quantity=row["s_quantity"], kg=row["s_kg"], co2e_kg=row["s_co2e_kg"], value_eur=row["s_value_eur"],
            records=row["s_records"], people_helped=0,
        )
    answered = records.filter(feedback__isnull=False).values(*_DIMENSIONS).annotate(
        s_people=Sum("feedback__people_helped"))
    for row in answered.iterator(chunk_size=5000):
        key = tuple(str(row[name]) if name == "month" else row[name] for name in _DIMENSIONS)
        rows[key].people_helped = row["s_people"]
    ImpactMonth.objects.bulk_create(rows.values(), batch_size=2000)
    return len(rows)
