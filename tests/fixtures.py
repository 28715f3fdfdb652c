"""Shared fixtures: one giver with its staff, one partner association with a volunteer and a
coordinator, the département with a viewer and a manager."""

from datetime import timedelta

import pytest
from django.utils import timezone

from exchange import services
from exchange.models import Reservation
from inventory.models import Membership
from tests.factories import AssociationFactory, DepartmentFactory, ItemFactory, OrganisationFactory, member

Role = Membership.Role


@pytest.fixture
def giver(db):
    return OrganisationFactory(name="EHPAD Les Tilleuls")


@pytest.fixture
def staff(giver):
    return member(giver, Role.STAFF, username="staff")


@pytest.fixture
def association(db):
    return AssociationFactory(name="Recyclerie du Val")


@pytest.fixture
def volunteer(association):
    return member(association, Role.VOLUNTEER, username="volunteer")


@pytest.fixture
def coordinator(association):
    return member(association, Role.COORDINATOR, username="coordinator")


@pytest.fixture
def department(db):
    return DepartmentFactory()


@pytest.fixture
def viewer(department):
    return member(department, Role.VIEWER, username="viewer")


@pytest.fixture
def manager(department):
    return member(department, Role.MANAGER, username="manager")


@pytest.fixture
def item(giver):
    return ItemFactory(owner=giver, quantity=3)


@pytest.fixture
def workflow(staff, coordinator, volunteer, association, offered):
    """Walks a fresh claim (by ``volunteer`` for ``association`` on ``offered``, which each
    test folder's conftest defines) to a status."""

    class Workflow:
        def claim(self, quantity=1, **kwargs):
            kwargs.setdefault("item", offered)
            return services.reservation_create(
                actor=volunteer, requester=association, quantity=quantity, **kwargs,
            )

        def to(self, status, reservation=None, **claim_args):
            r = reservation or self.claim(**claim_args)
            steps = {
                "requested": [],
                "approved": ["approve"],
                "scheduled": ["approve", "schedule"],
                "collected": ["approve", "schedule", "collect"],
                "delivered": ["approve", "schedule", "collect", "deliver"],
                "returned": ["approve", "schedule", "collect", "deliver", "return"],
                "declined": ["decline"],
                "cancelled": ["cancel"],
                "expired": ["approve", "expire"],
            }[status]
            for step in steps:
                r = self.step(r, step)
            assert r.status == status
            return r

        def step(self, r, action):
            if action == "approve":
                return services.reservation_approve(actor=staff, reservation=r)
            if action == "decline":
                return services.reservation_decline(actor=staff, reservation=r, reason="Déjà promis")
            if action == "cancel":
                return services.reservation_cancel(actor=volunteer, reservation=r, reason="Plus besoin")
            if action == "schedule":
                start = timezone.now() + timedelta(days=1)
                services.pickup_create(actor=coordinator, reservations=[r], window_start=start,
                                       window_end=start + timedelta(hours=2), volunteers=[volunteer])
                return Reservation.objects.get(pk=r.pk)
            if action == "collect":
                return services.reservation_collect(actor=volunteer, reservation=r, handover_code=r.handover_code)
            if action == "deliver":
                return services.reservation_deliver(actor=volunteer, reservation=r)
            if action == "return":
                return services.reservation_return(actor=staff, reservation=r)
            if action == "expire":
                Reservation.objects.filter(pk=r.pk).update(approved_at=timezone.now() - timedelta(days=30))
                services.expire_due()
                return Reservation.objects.get(pk=r.pk)
            raise AssertionError(action)

    return Workflow()
