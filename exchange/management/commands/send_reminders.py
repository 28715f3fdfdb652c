"""``manage.py send_reminders``: remind the giver's staff of tomorrow's pickups and the
volunteers of today's. Each reminder goes once, so run it as often as you like; twice a day
is enough (a timer at 7:00 for the volunteers' morning, at 17:00 for the givers' eve), or
enqueue ``exchange.tasks.send_reminders_task``."""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from exchange import services

KINDS = {"eve": ("giver_eve",), "morning": ("volunteer_morning",), "all": ("giver_eve", "volunteer_morning")}


class Command(BaseCommand):
    help = "Send the reminders of pickups that are due (each reminder once)."

    def add_arguments(self, parser):
        parser.add_argument("--only", choices=sorted(KINDS), default="all", help="Which reminders (default all).")
        parser.add_argument("--now", help="Run as if it were this local time (YYYY-MM-DDTHH:MM).")

    def handle(self, *args, only="all", now=None, **options):
        if now:
            try:
                now = timezone.make_aware(datetime.fromisoformat(now))
            except ValueError as error:
                raise CommandError(f"--now: {error}") from error
        result = services.send_reminders(now=now, kinds=KINDS[only])
        self.stdout.write(f"givers reminded: {result['giver_eve']}, volunteers reminded: {result['volunteer_morning']}")
