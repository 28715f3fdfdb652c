"""Reminders of pickups (``manage.py send_reminders``, and its task): the giver's staff the
day before, the volunteers on the morning itself. Each reminder goes once to each person,
however often the command runs: a ``Reminder`` row is written with the notification, under
a lock on the pickup, and a unique constraint backs it."""

import logging
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from inventory.models import Membership

from .. import notifications
from ..models import Notification, Pickup, Reminder

logger = logging.getLogger(__name__)

EVE, MORNING = Reminder.Kind.GIVER_EVE, Reminder.Kind.VOLUNTEER_MORNING


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time(0)))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time(0)))


def _remind(pickup_id: int, kind: str, recipients_of) -> int:
    with transaction.atomic():
        pickup = Pickup.objects.select_for_update().select_related("giver__commune", "organisation").get(pk=pickup_id)
        if pickup.status != Pickup.Status.PLANNED:
            return 0
        already = set(Reminder.objects.filter(pickup=pickup, kind=kind).values_list("user_id", flat=True))
        users = [u for u in recipients_of(pickup) if u.pk not in already and u.is_active]
        if not users:
            return 0
        Reminder.objects.bulk_create([Reminder(pickup=pickup, user=u, kind=kind) for u in users])
        notification_kind = Notification.Kind.PICKUP_TOMORROW if kind == EVE else Notification.Kind.PICKUP_TODAY
        notifications.notify(users=users, kind=notification_kind, obj=pickup, context={"pickup": pickup})
        return len(users)


def _giver_staff(pickup: Pickup) -> list:
    return [m.user for m in Membership.objects.filter(organisation_id=pickup.giver_id, role=Membership.Role.STAFF)
            .select_related("user")]


def _volunteers(pickup: Pickup) -> list:
    return list(pickup.volunteers.all())


def send_reminders(*, now: datetime | None = None, kinds=(EVE, MORNING)) -> dict:
    """Remind what is due at ``now``: the giver's staff of tomorrow's planned pickups, the
    volunteers of today's planned pickups not yet over. Returns the counts sent per kind.

    Raises:
        Nothing: a failing pickup is logged and skipped (the next run retries it).
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    result = {EVE: 0, MORNING: 0}
    plans = {
        EVE: (Pickup.objects.filter(window_start__range=_day_bounds(today + timedelta(days=1))), _giver_staff),
        MORNING: (Pickup.objects.filter(window_start__range=_day_bounds(today), window_end__gt=now), _volunteers),
    }
    for kind in kinds:
        pickups, recipients_of = plans[kind]
        for pickup_id in list(pickups.filter(status=Pickup.Status.PLANNED).values_list("pk", flat=True)):
            try:
                result[kind] += _remind(pickup_id, kind, recipients_of)
            except IntegrityError:  # another run sent it meanwhile
                continue
            except Exception:
                logger.exception("could not remind pickup %s", pickup_id)
    return {"giver_eve": result[EVE], "volunteer_morning": result[MORNING]}
