"""Impact summary at 1,000,000 impact records (10,000,000 for the dashboard's target) against
one hand-written SQL GROUP BY.

``exchange.reports.impact_summary`` (through the département's selectors, as the API and the
dashboard call it), read from the monthly roll-ups (``ImpactMonth``, rebuilt from the ledger
first: the records are written in SQL, around the models) and from the records themselves,
against a cursor running the plain query a person would write for the same figures (units,
kg, kg CO2e, EUR, claims, people helped per group): the whole ledger by month and by
category, then the dashboard's usual request, one calendar year by month and by category.
Both paths must give the same figures (asserted). Each side runs once to warm up, then
``BENCH_RUNS`` times (default 5); the script prints the medians in ms and the **ratios to the
raw query** (1.0 = as fast as the plain GROUP BY).
Targets: the summary under 500 ms on PostgreSQL at 10,000,000 records (the roll-ups);
records / raw ≤ 1.5 (the path a period cut mid-month takes).

Data: 40 givers, 4 receivers, 1,000 items and one delivered donation claim per record (one in ten
with its receiver's answer, people helped, which both sides sum through a LEFT JOIN; one in
five weighed), spread over five years, every category and 47 communes; generated inside the
database (``INSERT … SELECT`` over a recursive CTE on SQLite, ``generate_series`` on
PostgreSQL): valid rows (foreign keys, constraints) at the fastest rate either database can
write them.

Runs on SQLite (a fresh file), then on PostgreSQL when 127.0.0.1:5432 answers (a scratch
database ``rebond_bench_impact``, dropped afterwards). ``BENCH_RECORDS`` overrides the count,
``BENCH_BACKENDS=postgresql`` skips SQLite (the 10,000,000 run:
``BENCH_RECORDS=10000000 BENCH_RUNS=3 BENCH_BACKENDS=postgresql``).
"""

import datetime
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RECORDS = int(os.environ.get("BENCH_RECORDS", "1000000"))
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
# "sqlite,postgresql" by default; BENCH_BACKENDS=postgresql for the 10,000,000-record run
# (SQLite takes minutes per summary there, and PostgreSQL is production).
BACKENDS = os.environ.get("BENCH_BACKENDS", "sqlite,postgresql").split(",")
ITEMS = 1000
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_BENCH_DB = "rebond_bench_impact"


def configure(backend: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ["DJANGO_LOG_LEVEL"] = "WARNING"
    if backend == "sqlite":
        os.environ.pop("DATABASE_URL", None)
        os.environ["DJANGO_SQLITE_PATH"] = str(Path(tempfile.mkdtemp(prefix="rebond-bench-")) / "impact.sqlite3")
    else:
        os.environ["DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + PG_BENCH_DB


#
# Data
#
def populate(vendor: str):
    """Organisations and items through the ORM, claims and records in SQL; returns a viewer."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from inventory.models import Category, Commune, Item, Membership, Organisation

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    communes = list(Commune.objects.all())
    department = Organisation.objects.create(
        name="Département", kind="department", legal_status="public_body", address="-", postcode="94000",
        commune=communes[0],
    )
    givers = Organisation.objects.bulk_create([
        Organisation(name=f"Giver {n}", kind=("care_home", "school")[n % 2], legal_status="public_establishment",
                     address="-", postcode=communes[n % len(communes)].postcode, commune=communes[n % len(communes)])
        for n in range(40)
    ])
    receivers = Organisation.objects.bulk_create([
        Organisation(name=f"Association {n}", kind="association", legal_status="private_nonprofit", address="-",
                     postcode="94000", commune=communes[n], is_reuse_partner=True)
        for n in range(4)
    ])
    categories = list(Category.objects.exclude(parent=None))
    now = timezone.now()
    items = Item.objects.bulk_create([
        Item(owner=givers[n % 40], title=f"Item {n}", category=categories[n % len(categories)], condition="good",
             quantity=1, status="gone", created_at=now, published_at=now)
        for n in range(ITEMS)
    ])
    viewer = get_user_model().objects.create_user("bench-viewer")
    Membership.objects.create(user=viewer, organisation=department, role="viewer")

    first_item, first_giver, first_receiver = items[0].pk, givers[0].pk, receivers[0].pk
    n_categories, category_ids = len(categories), [c.pk for c in categories]
    # item n % 1000 belongs to giver n % 40 (items were created in that order), so giver = item % 40.
    if vendor == "sqlite":
        series = f"WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n < {RECORDS - 1}) "
        day = "DATE('2021-01-01', '+' || (n % 1826) || ' days')"
        stamp = "DATETIME('2021-01-01 10:00:00', '+' || (n % 1826) || ' days')"
        source = "FROM s"
    else:
        series = ""
        day = "(DATE '2021-01-01' + (n % 1826))"
        stamp = "(TIMESTAMPTZ '2021-01-01 10:00:00+00' + (n % 1826) * INTERVAL '1 day')"
        source = f"FROM generate_series(0, {RECORDS - 1}) AS s(n)"
    communes_case = "CASE (n % 1000 % 40) % 47 " + " ".join(
        f"WHEN {i} THEN '{c.insee}'" for i, c in enumerate(communes)) + " END"
    categories_case = "CASE n % 1000 % " + str(n_categories) + " " + " ".join(
        f"WHEN {i} THEN {pk}" for i, pk in enumerate(category_ids)) + " END"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO exchange_reservation (id, item_id, requester_id, quantity, mode, purpose, status, "
            "handover_code, handover_failures, reason, transfer_rule, legal_basis, refurbishment_notes, created_at, "
            "collected_at, delivered_at, updated_at) "
            f"{series}SELECT n + 1, {first_item} + n % {ITEMS}, {first_receiver} + n % 4, 1 + n % 3, 'donation', '', "
            f"'delivered', '', 0, '', '', '', '', {stamp}, {stamp}, {stamp}, {stamp} {source}"
        )
        cursor.execute(
            "INSERT INTO exchange_impactrecord (reservation_id, kind, date, quantity, kg, co2e_kg, value_eur, "
            "category_id, giver_id, receiver_id, commune_id, beneficiary, giver_kind, receiver_kind, unit_weight_kg, "
            "unit_co2e_kg, unit_value_eur, kg_basis, created_at) "
            f"{series}SELECT n + 1, 'donation', {day}, 1 + n % 3, 11.9 * (1 + n % 3), 35.7 * (1 + n % 3), "
            f"150 * (1 + n % 3), {categories_case}, {first_giver} + n % 1000 % 40, {first_receiver} + n % 4, "
            f"{communes_case}, CASE n % 4 WHEN 0 THEN 'seniors' WHEN 1 THEN 'families' ELSE '' END, "
            f"CASE (n % 1000 % 40) % 2 WHEN 0 THEN 'care_home' ELSE 'school' END, 'association', "
            f"11.9, 35.7, 150, CASE n % 5 WHEN 0 THEN 'measured' ELSE 'estimated' END, {stamp} {source}"
        )
        # One claim in ten got an answer from its receiver (people helped).
        where = "WHERE n % 10 = 0"
        cursor.execute(
            "INSERT INTO exchange_deliveryfeedback (reservation_id, people_helped, beneficiary, comment, "
            "consent_to_quote, created_at) "
            f"{series}SELECT n + 1, 1 + n % 20, '', '', FALSE, {stamp} {source} {where}"
        )
        if vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('exchange_reservation', 'id'), (SELECT MAX(id) FROM "
                "exchange_reservation))"
            )
    # Statistics and visibility hints as autovacuum leaves them on a live database (without it,
    # the first runs pay for setting hint bits on a million fresh rows, and autovacuum competes).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if vendor == "postgresql" else "ANALYZE")
    print(f"  {RECORDS:,} impact records (and claims) generated in SQL in {time.perf_counter() - started:.1f} s")
    return viewer


#
# Measures
#
RAW = {
    ("sqlite", "month"): "STRFTIME('%Y-%m', date)",
    ("postgresql", "month"): "DATE_TRUNC('month', date)",
    ("sqlite", "category"): "category_id",
    ("postgresql", "category"): "category_id",
}


def raw_query(vendor: str, group_by: str, period: tuple) -> str:
    key = RAW[(vendor, group_by)]
    where = f"WHERE r.date BETWEEN '{period[0]}' AND '{period[1]}' " if period[0] else ""
    # The same figures as the summary's, people helped included (what receivers said, joined
    # on the claim).
    return (
        f"SELECT {key} AS k, SUM(quantity), SUM(kg), SUM(co2e_kg), SUM(value_eur), COUNT(*), "
        f"COALESCE(SUM(f.people_helped), 0) FROM exchange_impactrecord r "
        f"LEFT JOIN exchange_deliveryfeedback f ON f.reservation_id = r.reservation_id {where}GROUP BY k ORDER BY k"
    )


def median_ms(function) -> float:
    function()  # warm up
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def run(backend: str) -> None:
    configure(backend)
    import django

    django.setup()
    from django.db import connection

    from exchange import reports, rollups, selectors
    from exchange.models import ImpactRecord

    vendor = connection.vendor
    viewer = populate(vendor)
    assert ImpactRecord.objects.count() == RECORDS
    started = time.perf_counter()
    rows = rollups.rebuild()  # the records were written in SQL, around the models
    print(f"  monthly roll-ups rebuilt from the ledger: {rows:,} rows in {time.perf_counter() - started:.1f} s")

    # The whole ledger by month and by category, then the dashboard's usual requests: one
    # calendar year (2024, whole months) and the default "this year to today" (to 15 June 2024:
    # the cut month's days are read from the records), by month and by category.
    year, to_day = (datetime.date(2024, 1, 1), datetime.date(2024, 12, 31)), (
        datetime.date(2024, 1, 1), datetime.date(2024, 6, 15))
    cases = (("all years", (None, None)), ("2024", year), ("2024-06-15", to_day))
    for (name, period), group_by in ((case, group_by) for case in cases for group_by in ("month", "category")):
        sql = raw_query(vendor, group_by, period)

        def raw(sql=sql):
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchall()

        def summary(group_by=group_by, period=period, rolled=False):
            months = reports.rolled_up(selectors.visible_impact_months(viewer), *period) if rolled else None
            return reports.impact_summary(
                records=reports.in_period(selectors.visible_impact_records(viewer), *period), group_by=group_by,
                months=months)

        groups = summary()
        assert summary(rolled=True) == groups  # the same figures, from the roll-ups
        groups = groups["groups"]
        raw_rows = raw()
        assert len(groups) == len(raw_rows), (len(groups), len(raw_rows))
        assert sum(g["items"] for g in groups) == sum(row[1] for row in raw_rows)
        assert sum(g["people_helped"] for g in groups) == sum(row[6] for row in raw_rows) > 0
        ours, rolled, baseline = median_ms(summary), median_ms(lambda: summary(rolled=True)), median_ms(raw)
        print(f"  {name:10s} by {group_by:8s}: roll-ups {rolled:7.1f} ms   records {ours:8.1f} ms   "
              f"raw SQL {baseline:8.1f} ms   ratio roll-ups / raw {rolled / baseline:5.3f}, "
              f"records / raw {ours / baseline:4.2f}   ({len(groups)} groups)")


def postgres_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {PG_BENCH_DB}")
        return True
    except Exception as error:  # any failure means "not reachable": the SQLite figures stand alone
        print(f"== PostgreSQL not reachable ({type(error).__name__}); skipped")
        return False


def drop_postgres_db() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")


def main() -> int:
    if len(sys.argv) > 1:  # a child run for one backend
        run(sys.argv[1])
        return 0
    status = 0
    if "sqlite" in BACKENDS:
        print(f"== SQLite ({RECORDS:,} records, median of {RUNS})")
        status = subprocess.call([sys.executable, __file__, "sqlite"])
    if "postgresql" in BACKENDS and postgres_reachable():
        print(f"== PostgreSQL ({RECORDS:,} records, median of {RUNS})")
        try:
            status = subprocess.call([sys.executable, __file__, "postgresql"]) or status
        finally:
            drop_postgres_db()
    return status


if __name__ == "__main__":
    sys.exit(main())
