"""Background tasks of the exchange (django-tasks; run in-process by default, by
``manage.py db_worker`` with the database backend in production)."""

from django_tasks import task

from . import services


@task()
def expire_due_task() -> dict:
    """The daily expiry run: the same work as ``manage.py expire``."""
    return services.expire_due()


@task()
def push_task(messages: list) -> int:
    """Push ``[(user id, payload), …]`` to the users' subscribed browsers (exchange.push)."""
    from . import push

    return push.push_to_users([(user_id, payload) for user_id, payload in messages])


@task()
def send_reminders_task() -> dict:
    """The reminders run: the same work as ``manage.py send_reminders``."""
    return services.send_reminders()
