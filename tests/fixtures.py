"""Shared fixtures: one giver with its staff, one partner association with a volunteer and a
coordinator, the département with a viewer and a manager."""

import pytest

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
