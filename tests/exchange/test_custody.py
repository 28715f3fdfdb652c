"""The chain of custody resists forgery: separation of duties, guessed handover codes, whole
reasons, pickups that close themselves, and the one claimable rule (issue #13)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from exchange import services
from exchange.models import Notification, Pickup, Reservation
from exchange.services.reservations import HANDOVER_CODE_TRIES
from inventory.errors import Forbidden, WorkflowError
from inventory.models import Membership
from tests.factories import AvailableItemFactory, member

Role = Membership.Role


@pytest.fixture
def dual(giver, association):
    """Staff of the giver and volunteer of the claiming association: one person, both sides."""
    person = member(giver, Role.STAFF, username="dual")
    Membership.objects.create(user=person, organisation=association, role=Role.VOLUNTEER)
    return person


def _reload(reservation) -> Reservation:
    return Reservation.objects.get(pk=reservation.pk)


#
# Separation of duties
#
def test_nobody_approves_a_claim_of_their_own_organisation(workflow, dual, offered, association, staff):
    reservation = services.reservation_create(actor=dual, item=offered, requester=association, quantity=1)
    with pytest.raises(Forbidden) as error:
        services.reservation_approve(actor=dual, reservation=reservation)
    assert error.value.code == "separation_of_duties"
    assert _reload(reservation).status == "requested"
    assert services.reservation_approve(actor=staff, reservation=reservation).status == "approved"


def test_nobody_collects_from_a_giver_whose_staff_they_are(workflow, dual, volunteer):
    reservation = workflow.to("scheduled")
    with pytest.raises(Forbidden) as error:
        services.reservation_collect(actor=dual, reservation=reservation, handover_code=reservation.handover_code)
    assert error.value.code == "separation_of_duties"
    assert _reload(reservation).status == "scheduled"
    assert services.reservation_collect(
        actor=volunteer, reservation=reservation, handover_code=reservation.handover_code).status == "collected"


def test_a_stranger_is_refused_with_the_plain_code(workflow, viewer):
    reservation = workflow.claim()
    with pytest.raises(Forbidden) as error:
        services.reservation_approve(actor=viewer, reservation=reservation)
    assert error.value.code == "forbidden"


#
# Handover codes resist guessing
#
def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_the_fifth_wrong_code_replaces_it_and_tells_the_givers_staff(
    workflow, volunteer, staff, django_capture_on_commit_callbacks,
):
    reservation = workflow.to("scheduled")
    old = reservation.handover_code
    mail.outbox.clear()
    messages = []
    for _ in range(HANDOVER_CODE_TRIES):
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(WorkflowError) as error:
            services.reservation_collect(actor=volunteer, reservation=reservation, handover_code=_wrong(old))
        assert error.value.code == "wrong_handover_code"
        messages.append(error.value.message)
    assert "replaced" in messages[-1] and "replaced" not in messages[0]
    fresh = _reload(reservation)
    assert fresh.handover_code != old and len(fresh.handover_code) == 6 and fresh.handover_failures == 0
    notice = Notification.objects.get(kind=Notification.Kind.CODE_REPLACED)
    assert notice.user == staff
    assert [m.to for m in mail.outbox] == [[staff.email]]
    assert fresh.handover_code not in mail.outbox[0].body and old not in mail.outbox[0].body
    with pytest.raises(WorkflowError):  # the old code no longer opens the collection
        services.reservation_collect(actor=volunteer, reservation=reservation, handover_code=old)
    collected = services.reservation_collect(actor=volunteer, reservation=reservation,
                                             handover_code=fresh.handover_code)
    assert collected.status == "collected"


def test_wrong_tries_are_kept_in_history_without_the_code(workflow, volunteer):
    reservation = workflow.to("scheduled")
    with pytest.raises(WorkflowError):
        services.reservation_collect(actor=volunteer, reservation=reservation,
                                     handover_code=_wrong(reservation.handover_code))
    latest = reservation.history.first()
    assert latest.history_change_reason == f"Wrong handover code (1 of {HANDOVER_CODE_TRIES})"
    assert latest.history_user == volunteer


#
# Reasons are kept whole up to 1,000 characters
#
def test_a_long_reason_is_kept_whole_and_its_history_copy_fits_the_column(workflow, staff):
    reason = "Déjà promis à l'école voisine. " * 32
    reason = reason[:1000]
    reservation = services.reservation_decline(actor=staff, reservation=workflow.claim(), reason=reason)
    assert _reload(reservation).reason == reason.strip()
    stored = reservation.history.first().history_change_reason
    assert len(stored) == 100 and stored.endswith("…") and reason.startswith(stored[:-1])


def test_a_reason_over_1000_characters_is_refused_and_changes_nothing(workflow, staff, volunteer, offered):
    reservation = workflow.claim()
    for call in (
        lambda: services.reservation_decline(actor=staff, reservation=reservation, reason="x" * 1001),
        lambda: services.reservation_cancel(actor=volunteer, reservation=reservation, reason="x" * 1001),
        lambda: services.item_withdraw(actor=staff, item=offered, reason="x" * 1001),
    ):
        with pytest.raises(ValidationError) as error:
            call()
        assert "reason" in error.value.message_dict
    assert _reload(reservation).status == "requested"
    offered.refresh_from_db()
    assert offered.status == "available"


#
# A pickup closes itself
#
def test_a_pickup_closes_when_its_last_waiting_claim_is_cancelled(workflow, coordinator, volunteer, offered):
    first, second = workflow.to("approved"), workflow.to("approved")
    start = timezone.now() + timedelta(days=1)
    pickup = services.pickup_create(actor=coordinator, reservations=[first, second], window_start=start,
                                    window_end=start + timedelta(hours=2), volunteers=[volunteer])
    first = _reload(first)
    services.reservation_collect(actor=volunteer, reservation=first, handover_code=first.handover_code)
    assert Pickup.objects.get(pk=pickup.pk).status == "planned"  # the second one still waits
    services.reservation_cancel(actor=volunteer, reservation=_reload(second), reason="Plus besoin")
    assert Pickup.objects.get(pk=pickup.pk).status == "done"


def test_withdrawing_the_item_closes_its_pickups(workflow, staff, offered):
    reservation = workflow.to("scheduled")
    services.item_withdraw(actor=staff, item=offered, reason="Cassé")
    assert Pickup.objects.get(pk=reservation.pickup_id).status == "done"


#
# The one claimable rule
#
def test_an_item_not_yet_available_is_neither_offered_nor_claimable(volunteer, association, giver):
    today = timezone.localdate()
    item = AvailableItemFactory(owner=giver, available_from=today + timedelta(days=3))
    assert not item.is_claimable(on=today) and item.is_claimable(on=today + timedelta(days=3))
    with pytest.raises(WorkflowError) as error:
        services.reservation_create(actor=volunteer, item=item, requester=association, quantity=1)
    assert error.value.code == "item_not_available"


def test_an_item_past_its_end_date_is_not_claimable_before_the_expiry_job(giver):
    today = timezone.localdate()
    item = AvailableItemFactory(owner=giver, available_until=today - timedelta(days=1))
    assert not item.is_claimable(on=today)


def test_only_the_givers_staff_or_an_admin_may_decline(workflow, volunteer):
    with pytest.raises(PermissionDenied):
        services.reservation_decline(actor=volunteer, reservation=workflow.claim(), reason="")
