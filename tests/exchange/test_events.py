"""Events reach the channel layer only after commit, in the right groups."""

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from exchange import events, services
from tests.factories import ItemFactory, NeedFactory, upload


@pytest.fixture
def layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    return get_channel_layer()


@pytest.fixture
def listen(layer):
    """``listen(group)`` returns a function draining what that group has received so far."""

    def subscribe(group):
        channel = async_to_sync(layer.new_channel)()
        async_to_sync(layer.group_add)(group, channel)

        def received():
            messages = []

            async def drain():
                while True:
                    try:
                        messages.append(await asyncio.wait_for(layer.receive(channel), 0.05))
                    except TimeoutError:
                        return

            async_to_sync(drain)()
            return [json.loads(m["text"]) for m in messages if m["type"] == "rebond.event"]

        return received

    return subscribe


def test_an_event_leaves_only_after_commit(workflow, giver, listen, django_capture_on_commit_callbacks):
    giver_feed = listen(f"org.{giver.pk}")
    with django_capture_on_commit_callbacks() as callbacks:
        reservation = workflow.claim()
    assert giver_feed() == []  # committed? not yet: nothing sent

    for callback in callbacks:
        callback()

    (event,) = [e for e in giver_feed() if e["type"] == "reservation.created"]
    assert (event["id"], event["status"], event["item"]) == (reservation.pk, "requested", reservation.item_id)
    assert "at" in event


def test_nothing_leaves_when_the_transaction_rolls_back(workflow, giver, listen, django_capture_on_commit_callbacks):
    giver_feed = listen(f"org.{giver.pk}")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            workflow.claim()
            raise RuntimeError("something failed after the claim")
    assert callbacks == []
    assert giver_feed() == []


def test_status_changes_reach_both_organisations_and_the_department(
    workflow, giver, association, listen, django_capture_on_commit_callbacks,
):
    feeds = {name: listen(group) for name, group in
             [("giver", f"org.{giver.pk}"), ("requester", f"org.{association.pk}"), ("department", "department"),
              ("catalogue", "catalogue")]}
    reservation = workflow.claim()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.step(reservation, "approve")
    for name in ("giver", "requester", "department"):
        assert {"type": "reservation.status_changed", "status": "approved"}.items() <= feeds[name]()[-1].items()
    assert [e for e in feeds["catalogue"]() if e["type"].startswith("reservation.")] == []


def test_pickups_reach_their_volunteers(workflow, volunteer, listen, django_capture_on_commit_callbacks):
    volunteer_feed = listen(f"user.{volunteer.pk}")
    reservation = workflow.to("approved")
    with django_capture_on_commit_callbacks(execute=True):
        workflow.step(reservation, "schedule")
    (event,) = volunteer_feed()
    assert event["type"] == "pickup.scheduled"


def test_delivery_records_impact_for_the_department(workflow, listen, django_capture_on_commit_callbacks):
    department_feed = listen("department")
    reservation = workflow.to("collected")
    department_feed()  # forget the earlier steps
    with django_capture_on_commit_callbacks(execute=True):
        workflow.step(reservation, "deliver")
    assert [e["type"] for e in department_feed()] == ["reservation.status_changed", "item.updated", "impact.recorded"]


def test_publishing_and_withdrawing_reach_the_catalogue_and_matching_needs(
    giver, staff, association, listen, django_capture_on_commit_callbacks,
):
    from inventory import services as inventory_services

    catalogue, needing = listen("catalogue"), listen(f"org.{association.pk}")
    need = NeedFactory(organisation=association)
    item = ItemFactory(owner=giver)
    inventory_services.photo_add(actor=staff, item=item, upload=upload())
    with django_capture_on_commit_callbacks(execute=True):
        inventory_services.item_publish(actor=staff, item=item)
    assert [(e["type"], e["id"]) for e in catalogue()] == [("item.published", item.pk)]
    assert [(e["type"], e["id"], e["item"]) for e in needing()] == [("need.matched", need.pk, item.pk)]

    with django_capture_on_commit_callbacks(execute=True):
        services.item_withdraw(actor=staff, item=item)
    assert [(e["type"], e["status"]) for e in catalogue()] == [("item.withdrawn", "withdrawn")]


def test_a_broken_channel_layer_does_not_break_the_write(workflow, layer, monkeypatch,
                                                         django_capture_on_commit_callbacks, caplog):
    async def refuse(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(layer, "group_send", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        reservation = workflow.claim()
    assert reservation.pk is not None
    assert "could not send reservation.created" in caplog.text


def test_groups_are_named_as_the_contract_says():
    assert (events.org_group(3), events.user_group(7)) == ("org.3", "user.7")
