"""``manage.py booking_reminders``: remind both sides the day before a booking starts and the
day before it is due back, flag late returns, cancel bookings never checked out.

Run it once a day (cron, a systemd timer, or enqueue ``pooling.tasks.booking_reminders_task``),
like ``manage.py expire``.
"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from pooling import services


class Command(BaseCommand):
    help = "Send the reminders of shared-equipment bookings and flag late returns."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="Run as if today were this date (YYYY-MM-DD).")

    def handle(self, *args, today=None, **options):
        if today:
            try:
                today = date.fromisoformat(today)
            except ValueError as error:
                raise CommandError(f"--today: {error}") from error
        result = services.booking_reminders(today=today)
        self.stdout.write(
            f"start reminders: {result['start_reminders']}, return reminders: {result['end_reminders']}, "
            f"late: {result['late']}, not checked out: {result['not_checked_out']}"
        )
