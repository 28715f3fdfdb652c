"""Background tasks of shared equipment (django-tasks; in-process by default, by
``manage.py db_worker`` with the database backend in production)."""

from django_tasks import task

from . import services


@task()
def booking_reminders_task() -> dict:
    """The daily run: the same work as ``manage.py booking_reminders``."""
    return services.booking_reminders()
