"""``manage.py check_consistency``: every item's counters agree with its claims, and every
pickup's status with its reservations.

Run it after a crash, a restore or a manual database edit; exit status 1 lists what is wrong.
"""

from django.core.management.base import BaseCommand, CommandError

from exchange.consistency import inconsistent_items, inconsistent_pickups
from exchange.models import Pickup
from inventory.models import Item


class Command(BaseCommand):
    help = "Check that every item's counters match its claims and every pickup's status its reservations."

    def handle(self, *args, **options):
        problems = inconsistent_items()
        for p in problems:
            self.stderr.write(
                f"item #{p.item_id} “{p.title}”: quantity_reserved={p.quantity_reserved} but claims hold "
                f"{p.held_by_claims}; quantity_transferred={p.quantity_transferred} but delivered donations "
                f"are {p.delivered_donations}"
            )
        pickups = inconsistent_pickups()
        for pickup in pickups:
            self.stderr.write(f"pickup #{pickup.pk} is {pickup.status} but "
                              + ("no reservation waits for it" if pickup.status == "planned" else
                                 "a reservation still waits to be collected"))
        if problems or pickups:
            raise CommandError(f"{len(problems)} inconsistent item(s), {len(pickups)} inconsistent pickup(s).")
        self.stdout.write(f"OK: {Item.objects.count()} items consistent with their claims, "
                          f"{Pickup.objects.count()} pickups with their reservations.")
