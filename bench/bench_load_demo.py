"""Bulk loading: ``load_demo --items 100000`` against raw ``executemany`` on the same rows.

Everything happens in a throwaway SQLite database (and media folder) in a temporary
directory: it is migrated, the demo is built (not timed), then ``load_demo --items N`` is
timed. The baseline copies the rows that run has just written into scratch tables of the
same columns with one ``executemany`` per table on a plain ``sqlite3`` connection: no ORM,
no model instances, no history logic. Two ratios are printed: against the item table alone
(the same number of rows), and against all four tables load_demo writes per item (item,
its history row, its photo, the photo's history row).

Run: ``.venv/bin/python bench/bench_load_demo.py`` (or ``make bench``); ``BENCH_ITEMS`` changes N.
"""

import io
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
os.environ.pop("DATABASE_URL", None)  # always SQLite, never someone's real database
WORKDIR = tempfile.TemporaryDirectory(prefix="rebond-bench-")
DATABASE = Path(WORKDIR.name) / "bench.sqlite3"
os.environ["DJANGO_SQLITE_PATH"] = str(DATABASE)
os.environ["DJANGO_MEDIA_ROOT"] = str(Path(WORKDIR.name) / "media")
os.environ["DJANGO_DEBUG"] = "false"  # no query log: measure the loader, not the debug cursor

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

ITEMS = int(os.environ.get("BENCH_ITEMS", "100000"))
TABLES = ["inventory_item", "inventory_historicalitem", "inventory_photo", "inventory_historicalphoto"]


def raw_copy(tables: list[str], last_rows: int) -> tuple[float, int]:
    """Time inserting the newest ``last_rows`` rows of each table into a scratch copy."""
    db = sqlite3.connect(DATABASE, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    batches = []
    db.execute("PRAGMA foreign_keys=ON")  # as Django's connections do
    for table in tables:
        scratch = f"scratch_{table}"
        db.execute(f"DROP TABLE IF EXISTS {scratch}")
        # Same columns, constraints and indexes as the real table, so the database does the
        # same work per row; the INTEGER PRIMARY KEY is left to SQLite, as for load_demo.
        for kind, name, sql in db.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL ORDER BY type DESC",
            (table,),
        ).fetchall():
            sql = sql.replace(f'"{table}"', f'"{scratch}"', 1) if kind == "table" else (
                sql.replace(f'"{name}"', f'"scratch_{name}"', 1).replace(f'ON "{table}"', f'ON "{scratch}"', 1)
            )
            db.execute(sql)
        columns = [f'"{row[1]}"' for row in db.execute(f"PRAGMA table_info({table})") if not row[5]]
        rows = db.execute(
            f"SELECT {', '.join(columns)} FROM {table} ORDER BY rowid DESC LIMIT ?", (last_rows,)
        ).fetchall()
        batches.append((scratch, columns, rows[::-1]))
    started = time.perf_counter()
    db.execute("BEGIN IMMEDIATE")
    count = 0
    for scratch, columns, rows in batches:
        db.executemany(
            f"INSERT INTO {scratch} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows
        )
        count += len(rows)
    db.execute("COMMIT")
    elapsed = time.perf_counter() - started
    for scratch, _columns, _rows in batches:
        db.execute(f"DROP TABLE {scratch}")
    db.close()
    return elapsed, count


def main() -> None:
    call_command("migrate", verbosity=0)
    call_command("load_demo", stdout=io.StringIO())
    connection.close()

    started = time.perf_counter()
    call_command("load_demo", items=ITEMS, stdout=io.StringIO())
    loader = time.perf_counter() - started
    connection.close()
    print(f"load_demo --items {ITEMS}: {loader:.1f} s, {ITEMS / loader:,.0f} items/s "
          f"(SQLite, 4 rows per item: item, history, photo, photo history)")

    items_only, rows = raw_copy(TABLES[:1], ITEMS)
    print(f"raw executemany, item table only ({rows} rows): {items_only:.2f} s, {rows / items_only:,.0f} rows/s; "
          f"ratio load_demo / raw = {loader / items_only:.1f}x")
    all_tables, rows = raw_copy(TABLES, ITEMS)
    print(f"raw executemany, same 4 tables ({rows} rows): {all_tables:.2f} s; "
          f"ratio load_demo / raw = {loader / all_tables:.1f}x")
    WORKDIR.cleanup()


if __name__ == "__main__":
    main()
