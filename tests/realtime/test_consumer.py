"""The ``/ws/events/`` consumer through the real ASGI application and channel layer
(in-memory by default, Redis when ``REDIS_URL`` is set, as in CI's second leg)."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client

from accounts.tokens import token_issue
from api import consumers
from config.asgi import application
from inventory.models import Membership
from tests.factories import AssociationFactory, DepartmentFactory, OrganisationFactory, member

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
ORIGIN = (b"origin", b"http://127.0.0.1:8000")


def _session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def _connect(path="/ws/events/", headers=(ORIGIN,)):
    communicator = WebsocketCommunicator(application, path, headers=list(headers))
    connected, detail = await communicator.connect()
    return communicator, connected, detail


@sync_to_async
def _member_with_token(factory, role):
    organisation = factory()
    user = member(organisation, role)
    return organisation, user, token_issue(user=user)[1]


async def _send(group, event):
    await get_channel_layer().group_send(group, {"type": "rebond.event", "text": json.dumps(event)})


async def test_anonymous_connection_is_refused():
    communicator, connected, code = await _connect()
    assert not connected and code == consumers.CLOSE_UNAUTHENTICATED


async def test_foreign_origin_is_refused():
    _, _, token = await _member_with_token(AssociationFactory, Membership.Role.VOLUNTEER)
    communicator, connected, _ = await _connect(
        f"/ws/events/?token={token}", headers=[(b"origin", b"https://evil.example")]
    )
    assert not connected


async def test_bad_token_is_refused():
    communicator, connected, code = await _connect("/ws/events/?token=nope")
    assert not connected and code == consumers.CLOSE_UNAUTHENTICATED


async def test_a_token_connects_until_the_password_changes():
    _, user, token = await _member_with_token(AssociationFactory, Membership.Role.VOLUNTEER)
    communicator, connected, _ = await _connect(f"/ws/events/?token={token}")
    assert connected
    await communicator.disconnect()

    @sync_to_async
    def change_password():
        user.set_password("une-phrase-de-passe-2026")
        user.save()

    await change_password()

    communicator, connected, code = await _connect(f"/ws/events/?token={token}")
    assert not connected and code == consumers.CLOSE_UNAUTHENTICATED


async def test_volunteer_by_session_hears_the_catalogue_and_its_organisation_only():
    association, volunteer, _ = await _member_with_token(AssociationFactory, Membership.Role.VOLUNTEER)
    other = await sync_to_async(OrganisationFactory)()
    cookie = await sync_to_async(_session_cookie)(volunteer)
    communicator, connected, _ = await _connect(headers=[ORIGIN, (b"cookie", cookie)])
    assert connected

    await _send(f"org.{other.pk}", {"type": "reservation.created", "id": 1})
    await _send("department", {"type": "impact.recorded", "id": 2})
    await _send("catalogue", {"type": "item.published", "id": 3})
    await _send(f"org.{association.pk}", {"type": "reservation.status_changed", "id": 4, "status": "approved"})

    # Only what the volunteer may hear arrives, in order; the rest never does.
    assert await communicator.receive_json_from() == {"type": "item.published", "id": 3}
    assert (await communicator.receive_json_from())["id"] == 4
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


async def test_department_viewer_by_token_hears_the_department_but_not_the_catalogue():
    _, _, token = await _member_with_token(DepartmentFactory, Membership.Role.VIEWER)
    communicator, connected, _ = await _connect(f"/ws/events/?token={token}")
    assert connected
    await _send("catalogue", {"type": "item.published", "id": 3})
    await _send("department", {"type": "impact.recorded", "id": 5})
    assert await communicator.receive_json_from() == {"type": "impact.recorded", "id": 5}
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


async def test_groups_are_recomputed_when_memberships_change(monkeypatch):
    monkeypatch.setattr(consumers, "HEARTBEAT_SECONDS", 0.05)
    _, user, token = await _member_with_token(OrganisationFactory, Membership.Role.VIEWER)
    communicator, connected, _ = await _connect(f"/ws/events/?token={token}")
    assert connected
    association = await sync_to_async(AssociationFactory)()
    await sync_to_async(Membership.objects.create)(user=user, organisation=association, role="volunteer")
    assert await communicator.receive_json_from() == {"type": "heartbeat"}  # groups refreshed
    await _send("catalogue", {"type": "item.published", "id": 7})
    received = await communicator.receive_json_from()
    while received == {"type": "heartbeat"}:
        received = await communicator.receive_json_from()
    assert received == {"type": "item.published", "id": 7}
    await communicator.disconnect()


async def test_ping_is_answered():
    _, _, token = await _member_with_token(AssociationFactory, Membership.Role.VOLUNTEER)
    communicator, connected, _ = await _connect(f"/ws/events/?token={token}")
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from() == {"type": "pong"}
    await communicator.disconnect()
