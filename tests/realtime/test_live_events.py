"""Workflow events reach the right WebSocket connections, only after commit.

The services run for real (in a worker thread, as in a request) and the consumer runs in
the real ASGI application; nothing is stubbed between them but the socket itself.
"""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction

from accounts.tokens import token_issue
from config.asgi import application
from exchange import services
from inventory import services as inventory_services
from inventory.models import Membership
from tests.factories import AssociationFactory, AvailableItemFactory, ItemFactory, OrganisationFactory, member, upload

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
Role = Membership.Role


class Rollback(Exception):
    pass


@sync_to_async
def _world():
    giver, association, other = OrganisationFactory(), AssociationFactory(), OrganisationFactory()
    people = {
        "staff": member(giver, Role.STAFF),
        "volunteer": member(association, Role.VOLUNTEER),
        "other_staff": member(other, Role.STAFF),
    }
    tokens = {name: token_issue(user=user)[1] for name, user in people.items()}
    return {"giver": giver, "association": association, "other": other, **people, "tokens": tokens}


async def _listen(token):
    communicator = WebsocketCommunicator(
        application, f"/ws/events/?token={token}", headers=[(b"origin", b"http://localhost")]
    )
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def _drain(communicator) -> list[dict]:
    events = []
    while not await communicator.receive_nothing(timeout=0.15):
        events.append(await communicator.receive_json_from())
    return events


@sync_to_async
def _publish_new_item(staff, owner):
    item = ItemFactory(owner=owner)
    inventory_services.photo_add(actor=staff, item=item, upload=upload())
    return inventory_services.item_publish(actor=staff, item=item)


async def test_volunteer_hears_new_items_but_never_another_organisations_drafts():
    world = await _world()
    volunteer = await _listen(world["tokens"]["volunteer"])

    @sync_to_async
    def draft_elsewhere():
        item = inventory_services.item_create(
            actor=world["other_staff"], owner=world["other"], title="Brouillon secret",
            category=ItemFactory.build().category, condition="good", quantity=2,
        )
        inventory_services.photo_add(actor=world["other_staff"], item=item, upload=upload())
        inventory_services.item_update(actor=world["other_staff"], item=item, title="Toujours secret")

    await draft_elsewhere()
    assert await _drain(volunteer) == []

    item = await _publish_new_item(world["staff"], world["giver"])
    events = await _drain(volunteer)
    assert [(e["type"], e["id"]) for e in events] == [("item.published", item.pk)]
    assert set(events[0]) <= {"type", "id", "status", "at"}  # small, nothing private
    await volunteer.disconnect()


async def test_claim_reaches_the_giver_and_status_changes_reach_the_claimant():
    world = await _world()
    item = await sync_to_async(AvailableItemFactory)(owner=world["giver"], quantity=2)
    staff, volunteer = await _listen(world["tokens"]["staff"]), await _listen(world["tokens"]["volunteer"])
    outsider = await _listen(world["tokens"]["other_staff"])

    reservation = await sync_to_async(services.reservation_create)(
        actor=world["volunteer"], item=item, requester=world["association"], quantity=1, mode="donation",
    )
    staff_events = await _drain(staff)
    assert ("reservation.created", reservation.pk) in [(e["type"], e["id"]) for e in staff_events]
    assert "handover_code" not in str(staff_events)

    await sync_to_async(services.reservation_approve)(actor=world["staff"], reservation=reservation)
    changes = [e for e in await _drain(volunteer) if e["type"] == "reservation.status_changed"]
    assert [(e["id"], e["status"]) for e in changes] == [(reservation.pk, "approved")]
    assert "handover_code" not in str(changes)

    # The other facility hears the catalogue move, never the claim itself.
    assert {e["type"] for e in await _drain(outsider)} <= {"item.updated"}
    for communicator in (staff, volunteer, outsider):
        await communicator.disconnect()


async def test_a_rolled_back_transition_sends_nothing():
    world = await _world()
    item = await sync_to_async(AvailableItemFactory)(owner=world["giver"], quantity=2)
    staff = await _listen(world["tokens"]["staff"])

    @sync_to_async
    def claim_then_fail():
        with transaction.atomic():
            services.reservation_create(
                actor=world["volunteer"], item=item, requester=world["association"], quantity=1, mode="donation",
            )
            raise Rollback

    with pytest.raises(Rollback):
        await claim_then_fail()
    assert await _drain(staff) == []
    await staff.disconnect()
