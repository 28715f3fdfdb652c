"""Schemathesis over the whole API, in-process (``make fuzz``; not part of ``make test``).

Every operation of ``/api/schema/`` gets generated requests — valid and invalid — sent
with a signed-in user's token over a test database holding a small world. Checks: no 5xx,
documented status codes and content types, responses matching their schema.

The file is not named ``test_*.py`` so the ordinary suite skips it; ``make fuzz`` names it.
``FUZZ_EXAMPLES`` sets the examples per operation (default 15: about a minute on 2 cores).
"""

import os
from datetime import timedelta

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.tokens import token_issue
from exchange import services as exchange_services
from inventory.models import Item, Membership, Photo
from pooling import services as pooling_services
from tests.factories import AssociationFactory, DepartmentFactory, ItemFactory, OrganisationFactory, member

Role = Membership.Role
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Requests go through the real WSGI handler, whose request signals close "old" database
    connections: that would close the test's own (file-based SQLite) connection mid-test.
    Django's test client disconnects the same receiver for the same reason."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_token(db):
    """A user who is staff of a giver and coordinator of an association, with some data around."""
    giver, association = OrganisationFactory(), AssociationFactory()
    user = member(giver, Role.STAFF, username="fuzzer")
    Membership.objects.create(user=user, organisation=association, role=Role.COORDINATOR)
    DepartmentFactory()
    other_giver = OrganisationFactory()
    other_staff = member(other_giver, Role.STAFF)
    for owner in (giver, other_giver):
        for status in (Item.Status.DRAFT, Item.Status.AVAILABLE):
            item = ItemFactory(owner=owner, quantity=5, status=status)
            Photo.objects.create(item=item, image="photos/aa/f.jpg", thumbnail="photos/aa/f_t.webp", width=8, height=8)
    claimable = Item.objects.filter(owner=other_giver, status=Item.Status.AVAILABLE).get()
    reservation = exchange_services.reservation_create(actor=user, item=claimable, requester=association, quantity=2)
    exchange_services.reservation_approve(actor=other_staff, reservation=reservation)
    start = timezone.now() + timedelta(days=1)
    exchange_services.pickup_create(
        actor=user, reservations=[reservation], window_start=start, window_end=start + timedelta(hours=1),
        volunteers=[user],
    )
    # Shared equipment: a minibus of the other giver, booked by the user's organisation.
    shared = ItemFactory(owner=other_giver, quantity=1, status=Item.Status.AVAILABLE, mode=Item.Mode.SHARED)
    pooling_services.booking_create(actor=user, item=shared, requester=giver, start=timezone.localdate(),
                                    end=timezone.localdate() + timedelta(days=2))
    pooling_services.label_for(shared)
    return token_issue(user=user)[1]


# Loaded at collection (pytest-django has set Django up by then); serving the schema needs
# no database. (``schemathesis.pytest.from_fixture`` does not work with pytest 9 yet.)
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
          database=None)
def test_api(case, fuzz_token):
    case.call_and_validate(
        headers={"Authorization": f"Token {fuzz_token}"},
        checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance],
    )
