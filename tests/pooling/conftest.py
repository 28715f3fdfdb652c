"""Pooling fixtures: a shared minibus (one unit) and a shared lot of chairs, owned by ``giver``;
a school that books them, with its staff member ``booker``. Dates are frozen: tests never
decide an outcome from the real clock (Paris time, mid-morning)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation

from inventory.models import Membership, Organisation
from pooling.models import BookingRules
from tests.factories import OrganisationFactory, SharedItemFactory, member

TODAY = dt.date(2026, 12, 7)  # a Monday
PARIS = ZoneInfo("Europe/Paris")


def day(n: int) -> dt.date:
    """The day ``n`` days after ``TODAY``."""
    return TODAY + dt.timedelta(days=n)


@pytest.fixture(autouse=True)
def _frozen_today():
    with time_machine.travel(dt.datetime(2026, 12, 7, 10, 0, tzinfo=PARIS), tick=False):
        yield


@pytest.fixture(autouse=True)
def _english_messages():
    with translation.override("en"):
        yield


@pytest.fixture
def minibus(giver):
    """A single-unit shared item with rules: up to 7 days, no notice, approval by hand."""
    item = SharedItemFactory(owner=giver, title="Minibus 9 places", quantity=1)
    BookingRules.objects.create(item=item, max_days=7, lead_days=0, auto_approve=False)
    return item


@pytest.fixture
def chairs(giver):
    """Two lots' worth: 2 units of folding chairs pallets, auto-approved when free."""
    item = SharedItemFactory(owner=giver, title="Palettes de chaises pliantes", quantity=2)
    BookingRules.objects.create(item=item, max_days=14, auto_approve=True)
    return item


@pytest.fixture
def school(db):
    return OrganisationFactory(name="Collège Jean Moulin", kind=Organisation.Kind.SCHOOL,
                               legal_status=Organisation.LegalStatus.PUBLIC_ESTABLISHMENT)


@pytest.fixture
def booker(school):
    return member(school, Membership.Role.STAFF, username="booker")
