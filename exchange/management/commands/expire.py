"""``manage.py expire``: expire items past their availability and claims not collected in time.

Run it once a day (cron, a systemd timer, or enqueue ``exchange.tasks.expire_due_task``).
"""

from exchange import services
from exchange.management.daily import DailyJobCommand


class Command(DailyJobCommand):
    help = "Expire items past their availability and approved claims not collected in time."

    def run(self, *, today):
        return services.expire_due(today=today)

    def summary(self, result):
        return (f"items expired: {result['items_expired']}, claims cancelled: {result['reservations_cancelled']}, "
                f"claims expired: {result['reservations_expired']}")
