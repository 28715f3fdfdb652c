"""The person's in-app notifications."""


from django.db import transaction
from django.utils import timezone

from ..models import Notification


@transaction.atomic
def notifications_mark_read(*, actor, ids=None) -> int:
    """Mark the actor's notifications read (all of them when ``ids`` is None); returns how many.

    Raises:
        Nothing: other users' ids are ignored.
    """
    unread = Notification.objects.filter(user=actor, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())  # no history on notifications
