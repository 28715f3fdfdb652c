"""``manage.py expire``: expire items past their availability and claims not collected in time.

Run it once a day (cron, a systemd timer, or enqueue ``exchange.tasks.expire_due_task``).
"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from exchange import services


class Command(BaseCommand):
    help = "Expire items past their availability and approved claims not collected in time."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="Run as if today were this date (YYYY-MM-DD).")

    def handle(self, *args, today=None, **options):
        if today:
            try:
                today = date.fromisoformat(today)
            except ValueError as error:
                raise CommandError(f"--today: {error}") from error
        result = services.expire_due(today=today)
        self.stdout.write(
            f"items expired: {result['items_expired']}, claims cancelled: {result['reservations_cancelled']}, "
            f"claims expired: {result['reservations_expired']}"
        )
