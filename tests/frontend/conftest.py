"""Page fixtures: items in the catalogue with a photo, and signed-in clients per role."""

import pytest
from django.test import Client
from django.utils import timezone

from inventory import services
from inventory.models import Item
from tests.factories import ItemFactory, member, upload


def offer(owner, actor=None, **fields) -> Item:
    """An item in the catalogue with one real photo (through the photo pipeline)."""
    actor = actor or member(owner)
    item = ItemFactory(owner=owner, status=Item.Status.AVAILABLE, published_at=timezone.now(), **fields)
    services.photo_add(actor=actor, item=item, upload=upload())
    return item


@pytest.fixture
def offered(giver, staff):
    return offer(giver, staff, title="Lit médicalisé électrique", quantity=3)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def staff_client(staff):
    return signed_in(staff)


@pytest.fixture
def volunteer_client(volunteer):
    return signed_in(volunteer)


@pytest.fixture
def coordinator_client(coordinator):
    return signed_in(coordinator)
