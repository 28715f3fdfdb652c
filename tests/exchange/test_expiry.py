"""Expiry: items past their availability, approved claims not collected in time."""

from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from exchange import services
from exchange.models import Reservation
from exchange.tasks import expire_due_task
from inventory.models import Item
from tests.factories import AvailableItemFactory, ItemFactory


def _backdate(reservation, days):
    # Test set-up only: the services never write timestamps in the past.
    Reservation.objects.filter(pk=reservation.pk).update(approved_at=timezone.now() - timedelta(days=days))


def test_an_item_past_its_availability_expires_and_its_open_claims_are_cancelled(workflow, offered):
    requested, scheduled, collected = workflow.to("requested"), workflow.to("scheduled"), workflow.to("collected")
    Item.objects.filter(pk=offered.pk).update(available_until=timezone.localdate() - timedelta(days=1))
    untouched = AvailableItemFactory(owner=offered.owner, available_until=timezone.localdate())
    draft = ItemFactory(owner=offered.owner, available_until=timezone.localdate() - timedelta(days=5))

    result = services.expire_due()

    assert result == {"items_expired": 1, "reservations_cancelled": 2, "reservations_expired": 0}
    item = Item.objects.get(pk=offered.pk)
    assert (item.status, item.quantity_reserved) == ("expired", 1)  # the collected unit is on its way
    assert item.history.first().history_user is None
    for reservation in (requested, scheduled):
        reservation.refresh_from_db()
        assert reservation.status == "cancelled"
        assert "availability ended" in reservation.reason
        assert reservation.history.first().history_change_reason == reservation.reason
    assert Reservation.objects.get(pk=collected.pk).status == "collected"
    assert Item.objects.get(pk=untouched.pk).status == "available"
    assert Item.objects.get(pk=draft.pk).status == "draft"


def test_approved_claims_not_collected_in_time_expire(workflow, offered, settings):
    settings.REBOND_CLAIM_EXPIRY_DAYS = 3
    old, recent = workflow.to("approved"), workflow.to("approved")
    old_but_scheduled = workflow.to("scheduled")
    _backdate(old, 4)
    _backdate(recent, 2)
    _backdate(old_but_scheduled, 10)

    result = services.expire_due()

    assert result["reservations_expired"] == 1
    old.refresh_from_db()
    assert (old.status, old.expired_at is not None) == ("expired", True)
    assert "3 days" in old.reason
    assert Reservation.objects.get(pk=recent.pk).status == "approved"
    assert Reservation.objects.get(pk=old_but_scheduled.pk).status == "scheduled"
    assert Item.objects.get(pk=offered.pk).quantity_reserved == 2  # the expired unit is free again


def test_a_missed_pickup_restarts_the_clock(workflow, coordinator):
    reservation = workflow.to("scheduled")
    _backdate(reservation, 30)
    services.pickup_missed(actor=coordinator, pickup=reservation.pickup)  # scheduled_at is recent
    assert services.expire_due()["reservations_expired"] == 0
    # ... but not forever: two weeks after the missed pickup, it expires.
    assert services.expire_due(today=timezone.localdate() + timedelta(days=15))["reservations_expired"] == 1


def test_the_command_and_the_task_run_the_same_expiry(workflow, offered, capsys):
    Item.objects.filter(pk=offered.pk).update(available_until=timezone.localdate() - timedelta(days=1))
    call_command("expire")
    assert "items expired: 1" in capsys.readouterr().out
    assert Item.objects.get(pk=offered.pk).status == "expired"

    other = AvailableItemFactory(owner=offered.owner, available_until=timezone.localdate())
    result = expire_due_task.enqueue()  # the immediate backend runs it at once
    assert result.return_value == {"items_expired": 0, "reservations_cancelled": 0, "reservations_expired": 0}
    call_command("expire", today=(timezone.localdate() + timedelta(days=1)).isoformat())
    assert Item.objects.get(pk=other.pk).status == "expired"


def test_the_managers_claim_expiry_setting_wins_over_settings_py(workflow, offered, settings, manager):
    from inventory.services import site_settings_update

    settings.REBOND_CLAIM_EXPIRY_DAYS = 30
    old = workflow.to("approved")
    _backdate(old, 4)
    assert services.expire_due()["reservations_expired"] == 0  # settings.py: 30 days
    site_settings_update(actor=manager, claim_expiry_days=3, internal_first_days=2)
    assert services.expire_due()["reservations_expired"] == 1
    old.refresh_from_db()
    assert old.status == "expired" and "3 days" in old.reason
