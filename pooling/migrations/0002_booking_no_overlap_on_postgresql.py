"""On PostgreSQL, the database itself refuses two holding bookings of a single-unit item that
share a day: an exclusion constraint on (item, daterange(start, end)) with btree_gist.

Elsewhere (SQLite, the embedded default) nothing is created: the services' check under the
item's row lock is the rule there. The constraint lives in this migration only (not in the
model's Meta), so the migration state is the same on every database.
"""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

CONSTRAINT = "booking_single_unit_no_overlap"
HOLDING = ("requested", "approved", "out")  # pooling.states.HOLDING on the day of this migration


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    statuses = ", ".join(f"'{status}'" for status in HOLDING)
    schema_editor.execute(
        f'ALTER TABLE pooling_booking ADD CONSTRAINT {CONSTRAINT} EXCLUDE USING gist '
        f'(item_id WITH =, daterange("start", "end", \'[)\') WITH &&) '
        f"WHERE (single_unit AND status IN ({statuses}))"
    )


def drop_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE pooling_booking DROP CONSTRAINT IF EXISTS {CONSTRAINT}")


class Migration(migrations.Migration):
    dependencies = [("pooling", "0001_shared_equipment")]

    operations = [
        BtreeGistExtension(),  # does nothing on other databases
        migrations.RunPython(add_constraint, drop_constraint),
    ]
