"""Backup and restore as the README documents them: the restored database holds the same
items, history and impact totals as the live one."""

import io
import os
import sqlite3
import subprocess
import uuid

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum

from exchange.models import ImpactRecord, Reservation
from inventory.models import Item

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SQL = {
    "items": "SELECT COUNT(*) FROM inventory_item",
    "item_history": "SELECT COUNT(*) FROM inventory_historicalitem",
    "reservation_history": "SELECT COUNT(*) FROM exchange_historicalreservation",
    "kg": "SELECT CAST(SUM(kg) AS TEXT) FROM exchange_impactrecord",
}


def _live() -> dict:
    return {
        "items": Item.objects.count(),
        "item_history": Item.history.count(),
        "reservation_history": Reservation.history.count(),
        "kg": ImpactRecord.objects.aggregate(kg=Sum("kg"))["kg"],
    }


def _restored_sqlite(path) -> dict:
    with sqlite3.connect(path) as db:
        return {name: db.execute(query).fetchone()[0] for name, query in SQL.items()}


def _restored_postgresql(dump) -> dict:
    params = connection.settings_dict
    fresh = f"rebond_restore_{uuid.uuid4().hex[:8]}"
    base = ["-h", params["HOST"] or "127.0.0.1", "-p", str(params["PORT"] or 5432), "-U", params["USER"] or "postgres"]
    subprocess.run(["createdb", *base, fresh], check=True)
    try:
        subprocess.run(["pg_restore", *base, "--no-owner", "-d", fresh, dump], check=True, capture_output=True)
        with psycopg.connect(host=base[1], port=base[3], user=base[5], dbname=fresh) as db:
            return {name: db.execute(query).fetchone()[0] for name, query in SQL.items()}
    finally:
        subprocess.run(["dropdb", *base, fresh], check=True)


def test_backup_restores_into_a_fresh_database_with_the_same_figures(workflow, tmp_path):
    workflow.to("delivered")
    workflow.to("approved")
    live = _live()
    assert live["kg"] and live["items"] >= 1 and live["reservation_history"] >= 5

    dump = str(tmp_path / "rebond.backup")
    call_command("backup_db", dump, stdout=io.StringIO())
    assert os.path.getsize(dump) > 0

    restored = _restored_sqlite(dump) if connection.vendor == "sqlite" else _restored_postgresql(dump)
    restored["kg"] = type(live["kg"])(restored["kg"])
    assert restored == live
