"""Background tasks of the exchange (django-tasks; run in-process by default, by
``manage.py db_worker`` with the database backend in production)."""

from django_tasks import task

from . import services


@task()
def expire_due_task() -> dict:
    """The daily expiry run: the same work as ``manage.py expire``."""
    return services.expire_due()
