"""``manage.py booking_reminders``: remind both sides the day before a booking starts and the
day before it is due back, flag late returns, cancel bookings never checked out.

Run it once a day (cron, a systemd timer, or enqueue ``pooling.tasks.booking_reminders_task``),
like ``manage.py expire``.
"""

from exchange.management.daily import DailyJobCommand
from pooling import services


class Command(DailyJobCommand):
    help = "Send the reminders of shared-equipment bookings and flag late returns."

    def run(self, *, today):
        return services.booking_reminders(today=today)

    def summary(self, result):
        return (f"start reminders: {result['start_reminders']}, return reminders: {result['end_reminders']}, "
                f"late: {result['late']}, not checked out: {result['not_checked_out']}")
