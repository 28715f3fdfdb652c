"""``manage.py rebuild_impact_rollups``: recompute the impact ledger's monthly roll-ups.

The roll-ups are kept as records are written; run this after loading records around the
models (SQL, ``bulk_create``, a partial restore) or to check nothing drifted.
"""

from django.core.management.base import BaseCommand

from exchange import rollups


class Command(BaseCommand):
    help = "Recompute the impact ledger's monthly roll-ups from the records."

    def handle(self, *args, **options):
        rows = rollups.rebuild()
        self.stdout.write(f"impact roll-ups rebuilt: {rows} rows")
