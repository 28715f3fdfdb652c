"""The person's in-app notifications."""


from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Notification, NotificationPreference, PersonalSettings


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


@transaction.atomic
def notification_settings_save(*, actor, language: str, channels: dict[str, dict[str, bool]]) -> None:
    """Save how ``actor`` wants to be told: the language of what Rebond sends them (blank:
    the site's) and, per kind of notification, each channel on or off (in the app, e-mail,
    push). Kinds not given keep their setting.

    Raises:
        ValidationError: an unknown language or kind.
    """
    if language and language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Unknown language.")})
    unknown = set(channels) - set(Notification.Kind.values)
    if unknown:
        raise ValidationError({"channels": _("Unknown kind of notification.")})
    PersonalSettings.objects.update_or_create(user=actor, defaults={"language": language})
    for kind, wanted in channels.items():
        NotificationPreference.objects.update_or_create(
            user=actor, kind=kind,
            defaults={channel: bool(wanted.get(channel)) for channel in NotificationPreference.CHANNELS},
        )
