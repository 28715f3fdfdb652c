"""The shape of the daily jobs' commands (``expire``, ``booking_reminders``): an optional
``--today`` (to catch up on a missed day, or in tests), a service run, a one-line summary."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError


class DailyJobCommand(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("--today", help="Run as if today were this date (YYYY-MM-DD).")

    def handle(self, *args, today=None, **options):
        if today:
            try:
                today = date.fromisoformat(today)
            except ValueError as error:
                raise CommandError(f"--today: {error}") from error
        self.stdout.write(self.summary(self.run(today=today)))

    def run(self, *, today: date | None) -> dict:
        raise NotImplementedError

    def summary(self, result: dict) -> str:
        raise NotImplementedError
