"""Real-time events, sent through the channel layer only once the transaction commits.

Services call ``publish()`` inside their transaction; nothing leaves if it rolls back. The
consumer forwards ``{"type": "rebond.event", "text": "<JSON>"}`` messages to the browsers of
the group: the event is encoded once here, not once per connection.
"""

import json
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

CATALOGUE = "catalogue"
DEPARTMENT = "department"


def org_group(organisation_id: int) -> str:
    return f"org.{organisation_id}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def publish(event_type: str, payload: dict, groups: list[str]) -> None:
    """Send ``payload`` (with ``type`` and ``at`` added) to ``groups`` after commit.

    Outside a transaction the callback runs at once. A failing channel layer is logged and
    never breaks the write that has already been committed (``robust=True``).
    """
    event = {"type": event_type, **payload}
    event.setdefault("at", timezone.now().isoformat())
    targets = list(dict.fromkeys(groups))  # unique, order kept
    transaction.on_commit(lambda: _send(event, targets), robust=True)


def _send(event: dict, groups: list[str]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "rebond.event", "text": json.dumps(event, cls=DjangoJSONEncoder)}
    for group in groups:
        try:
            async_to_sync(layer.group_send)(group, message)
        except Exception:  # a real-time hiccup must not hide the other groups' events
            logger.exception("could not send %s to %s", event.get("type"), group)
