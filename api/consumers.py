"""The ``/ws/events/`` consumer: authenticate, join the groups the user may hear, forward.

Events are published by the services after commit (``exchange.events.publish``) to groups:
``user.<id>``, ``org.<id>``, ``catalogue`` (everyone who may claim) and ``department``. The
consumer holds no rule of its own: the groups come from ``subscription_groups``, which reads
memberships, and are recomputed at every heartbeat so a new or removed membership takes
effect without reconnecting.
"""

import asyncio

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from inventory import permissions

HEARTBEAT_SECONDS = 25
CLOSE_UNAUTHENTICATED = 4401


def subscription_groups(user) -> set[str]:
    """The channel-layer groups whose events ``user`` may receive."""
    groups = {f"user.{user.pk}"}
    groups.update(f"org.{pk}" for pk in permissions.organisations_of(user).values_list("pk", flat=True))
    if permissions.claiming_organisations(user).exists():
        groups.add("catalogue")
    if permissions.is_department_member(user):
        groups.add("department")
    return groups


class EventsConsumer(AsyncJsonWebsocketConsumer):
    groups_joined: set[str]

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.groups_joined = set()
        await self.refresh_groups()  # before accepting, so no event is missed once connected
        await self.accept()
        self.heartbeat = asyncio.create_task(self.beat())

    async def disconnect(self, code):
        if hasattr(self, "heartbeat"):
            self.heartbeat.cancel()
        for group in getattr(self, "groups_joined", ()):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def refresh_groups(self):
        wanted = await database_sync_to_async(subscription_groups)(self.scope["user"])
        for group in wanted - self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        for group in self.groups_joined - wanted:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined = wanted

    async def beat(self):
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            await self.refresh_groups()
            await self.send_json({"type": "heartbeat"})

    async def receive_json(self, content, **kwargs):
        # Clients only listen; a "ping" is answered so they can check the line.
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def dispatch(self, message):
        # Forwarding an event touches no database: skip the close_old_connections() thread
        # hop Channels makes before every handler, which serialised a fan-out to 1000
        # sockets through one thread (bench/bench_fanout.py).
        if message["type"] == "rebond.event":
            await self.rebond_event(message)
        else:
            await super().dispatch(message)

    async def rebond_event(self, message):
        """Forward an event published with ``{"type": "rebond.event", "text": "<JSON>"}``."""
        await self.send(text_data=message["text"])
