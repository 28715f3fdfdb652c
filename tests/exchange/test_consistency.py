"""``exchange.consistency`` and ``manage.py check_consistency``: the counters against the claims."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from django.utils import timezone

from exchange.consistency import inconsistent_items, inconsistent_pickups
from exchange.models import Pickup
from inventory.models import Item
from tests.factories import ItemFactory


@pytest.fixture
def busy(workflow, offered):
    """Three chairs: one claim requested (held), one delivered (given), one cancelled."""
    workflow.to("requested")
    workflow.to("delivered")  # a donation: transferred
    workflow.to("cancelled")
    return offered


def test_counters_kept_by_the_services_are_consistent(busy, capsys):
    busy.refresh_from_db()
    assert (busy.quantity_reserved, busy.quantity_transferred) == (1, 1)

    assert inconsistent_items() == []
    call_command("check_consistency")
    assert "OK: " in capsys.readouterr().out


def test_a_corrupted_reserved_counter_is_found(busy):
    # Bypass the services on purpose, as a crash or a hand edit would.
    Item.objects.filter(pk=busy.pk).update(quantity_reserved=F("quantity_reserved") + 1)

    [problem] = inconsistent_items()

    assert (problem.item_id, problem.quantity_reserved, problem.held_by_claims) == (busy.pk, 2, 1)
    with pytest.raises(CommandError, match="1 inconsistent item"):
        call_command("check_consistency")


def test_a_corrupted_transferred_counter_is_found(busy):
    Item.objects.filter(pk=busy.pk).update(quantity_transferred=0)

    [problem] = inconsistent_items()

    assert (problem.quantity_transferred, problem.delivered_donations) == (0, 1)


def test_loans_out_count_as_held_and_returned_loans_as_nothing(workflow, offered):
    return_by = timezone.localdate() + timedelta(days=30)
    workflow.to("delivered", mode="loan", return_by=return_by)
    workflow.to("returned", mode="loan", return_by=return_by)
    offered.refresh_from_db()

    assert (offered.quantity_reserved, offered.quantity_transferred) == (1, 0)
    assert inconsistent_items() == []


def test_items_without_claims_are_consistent_and_checked_in_one_query(busy, giver, django_assert_num_queries):
    ItemFactory.create_batch(5, owner=giver)

    with django_assert_num_queries(1):
        assert inconsistent_items() == []


def test_pickups_agree_with_their_reservations_and_a_stuck_one_is_found(workflow, django_assert_num_queries):
    done = workflow.to("collected").pickup
    waiting = workflow.to("scheduled").pickup
    with django_assert_num_queries(1):
        assert inconsistent_pickups() == []
    # As the demo data was before pickups closed themselves: done work still "planned".
    Pickup.objects.filter(pk=done.pk).update(status=Pickup.Status.PLANNED)
    Pickup.objects.filter(pk=waiting.pk).update(status=Pickup.Status.DONE)
    assert [p.pk for p in inconsistent_pickups()] == sorted([done.pk, waiting.pk])
    with pytest.raises(CommandError, match="2 inconsistent pickup"):
        call_command("check_consistency")
