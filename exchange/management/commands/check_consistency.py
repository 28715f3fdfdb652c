"""``manage.py check_consistency``: every item's counters agree with its claims.

Run it after a crash, a restore or a manual database edit; exit status 1 lists what is wrong.
"""

from django.core.management.base import BaseCommand, CommandError

from exchange.consistency import inconsistent_items
from inventory.models import Item


class Command(BaseCommand):
    help = "Check that every item's reserved and transferred counters match its claims."

    def handle(self, *args, **options):
        problems = inconsistent_items()
        for p in problems:
            self.stderr.write(
                f"item #{p.item_id} “{p.title}”: quantity_reserved={p.quantity_reserved} but claims hold "
                f"{p.held_by_claims}; quantity_transferred={p.quantity_transferred} but delivered donations "
                f"are {p.delivered_donations}"
            )
        if problems:
            raise CommandError(f"{len(problems)} inconsistent item(s).")
        self.stdout.write(f"OK: {Item.objects.count()} items consistent with their claims.")
