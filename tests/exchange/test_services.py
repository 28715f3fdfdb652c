"""The reservation workflow services: every allowed and forbidden transition."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from exchange import services
from exchange.models import Reservation
from inventory.errors import WorkflowError
from inventory.models import Category, Item, Membership
from tests.factories import AssociationFactory, AvailableItemFactory, ItemFactory, OrganisationFactory, member

Role = Membership.Role
LOAN = {"mode": "loan", "return_by": timezone.localdate() + timedelta(days=30)}


def _reload(obj):
    return type(obj).objects.get(pk=obj.pk)


def _history_count(reservation):
    return reservation.history.count()


#
# Claims and quantity splitting
#
def test_a_claim_holds_its_units_and_records_who_and_why(workflow, offered, volunteer, association):
    reservation = workflow.claim(quantity=2, purpose="Salle d'activités")

    assert reservation.status == "requested"
    assert reservation.requester == association and reservation.requested_by == volunteer
    item = _reload(offered)
    assert (item.quantity_reserved, item.quantity_available, item.status) == (2, 1, "available")
    row = reservation.history.get()
    assert row.history_user == volunteer and row.history_change_reason == "Claimed"


def test_a_lot_is_split_until_no_unit_is_left(workflow, offered):
    first = workflow.claim(quantity=2)
    with pytest.raises(WorkflowError) as error:
        workflow.claim(quantity=2)
    assert error.value.code == "not_enough_units"
    workflow.claim(quantity=1)
    assert _reload(offered).status == "reserved"

    with pytest.raises(WorkflowError) as error:
        workflow.claim(quantity=1)
    assert error.value.code == "not_enough_units"

    workflow.step(first, "decline")
    item = _reload(offered)
    assert (item.quantity_reserved, item.status) == (1, "available")


def test_delivering_every_unit_makes_the_item_gone(workflow, offered):
    workflow.to("delivered", quantity=1)
    item = _reload(offered)
    assert (item.quantity_reserved, item.quantity_transferred, item.status) == (0, 1, "available")
    workflow.to("delivered", quantity=2)
    item = _reload(offered)
    assert (item.quantity_reserved, item.quantity_transferred, item.status) == (0, 3, "gone")


@pytest.mark.parametrize("quantity", [0, -1])
def test_a_claim_of_no_unit_is_invalid(workflow, quantity, offered):
    with pytest.raises(ValidationError):
        workflow.claim(quantity=quantity)
    assert _reload(offered).quantity_reserved == 0


def test_own_items_cannot_be_claimed(staff, giver, offered):
    with pytest.raises(WorkflowError) as error:
        services.reservation_create(actor=staff, item=offered, requester=giver, quantity=1)
    assert error.value.code == "own_item"


@pytest.mark.parametrize("status", ["draft", "withdrawn", "expired", "gone"])
def test_only_open_items_can_be_claimed(workflow, giver, status):
    item = ItemFactory(owner=giver, quantity=2, status=status)
    with pytest.raises(WorkflowError) as error:
        workflow.claim(item=item)
    assert error.value.code == "item_not_available"


@pytest.mark.parametrize(
    "window", [{"available_from": timezone.localdate() + timedelta(days=3)},
               {"available_until": timezone.localdate() - timedelta(days=1)}],
)
def test_an_item_outside_its_availability_cannot_be_claimed(workflow, giver, window):
    item = AvailableItemFactory(owner=giver, **window)
    with pytest.raises(WorkflowError) as error:
        workflow.claim(item=item)
    assert error.value.code == "item_not_available"


def test_medical_items_need_a_certified_refurbisher(workflow, giver, association, volunteer):
    walker = AvailableItemFactory(owner=giver, category=Category.objects.get(key="walker"))
    with pytest.raises(WorkflowError) as error:
        workflow.claim(item=walker)
    assert error.value.code == "medical_item"

    association.is_certified_refurbisher = True
    association.save()
    assert workflow.claim(item=walker).status == "requested"


def test_a_loan_needs_a_return_date(workflow):
    with pytest.raises(WorkflowError) as error:
        workflow.claim(mode="loan")
    assert error.value.code == "return_date_required"
    with pytest.raises(ValidationError):
        workflow.claim(mode="loan", return_by=timezone.localdate() - timedelta(days=1))


def test_a_donation_drops_a_return_date(workflow):
    assert workflow.claim(return_by=timezone.localdate() + timedelta(days=3)).return_by is None


def test_a_need_of_another_organisation_is_refused(workflow):
    from tests.factories import NeedFactory

    with pytest.raises(ValidationError):
        workflow.claim(need=NeedFactory())


#
# Handover codes
#
def test_approval_draws_a_six_digit_code(workflow):
    codes = {workflow.to("approved").handover_code for _ in range(3)}
    assert all(len(code) == 6 and code.isdigit() for code in codes)


def test_a_wrong_code_is_refused_and_only_counted(workflow, volunteer):
    reservation = workflow.to("scheduled")
    wrong = f"{(int(reservation.handover_code) + 1) % 1_000_000:06d}"
    for code in (wrong, "", "abcdef", "éééé"):
        with pytest.raises(WorkflowError) as error:
            services.reservation_collect(actor=volunteer, reservation=reservation, handover_code=code)
        assert error.value.code == "wrong_handover_code"
    fresh = _reload(reservation)
    assert fresh.status == "scheduled" and fresh.collected_at is None
    assert fresh.handover_code == reservation.handover_code and fresh.handover_failures == 4


def test_the_right_code_with_spaces_is_accepted(workflow, volunteer):
    reservation = workflow.to("scheduled")
    done = services.reservation_collect(
        actor=volunteer, reservation=reservation, handover_code=f" {reservation.handover_code} ",
    )
    assert done.status == "collected" and done.collected_at is not None


#
# Loans
#
def test_a_loan_holds_its_units_until_returned(workflow, offered):
    loan = workflow.to("delivered", quantity=2, **LOAN)
    item = _reload(offered)
    assert (item.quantity_reserved, item.quantity_transferred) == (2, 0)
    returned = workflow.step(loan, "return")
    assert returned.status == "returned" and returned.returned_at is not None
    item = _reload(offered)
    assert (item.quantity_reserved, item.quantity_transferred, item.status) == (0, 0, "available")


def test_a_donation_cannot_be_returned(workflow, staff):
    donation = workflow.to("delivered")
    with pytest.raises(WorkflowError) as error:
        services.reservation_return(actor=staff, reservation=donation)
    assert error.value.code == "not_a_loan"


#
# Every transition: one history row with the user and the reason
#
@pytest.mark.parametrize(
    ("start", "action", "end", "actor_name", "reason"),
    [
        ("requested", "approve", "approved", "staff", "Approved"),
        ("requested", "decline", "declined", "staff", "Déjà promis"),
        ("requested", "cancel", "cancelled", "volunteer", "Plus besoin"),
        ("approved", "cancel", "cancelled", "volunteer", "Plus besoin"),
        ("scheduled", "cancel", "cancelled", "volunteer", "Plus besoin"),
        ("approved", "schedule", "scheduled", "coordinator", "Scheduled for pickup"),
        ("scheduled", "miss", "approved", "coordinator", "missed"),
        ("scheduled", "collect", "collected", "volunteer", "Collected"),
        ("collected", "deliver", "delivered", "volunteer", "Delivered"),
        ("delivered", "return", "returned", "staff", "Returned"),
        ("approved", "expire", "expired", None, "Not collected within"),
    ],
)
def test_each_transition_writes_one_history_row(request, workflow, start, action, end, actor_name, reason):
    reservation = workflow.to(start, **LOAN)
    before = _history_count(reservation)

    if action == "miss":
        services.pickup_missed(actor=request.getfixturevalue("coordinator"), pickup=reservation.pickup)
        after = _reload(reservation)
    else:
        after = workflow.step(reservation, action)

    assert after.status == end
    assert _history_count(reservation) == before + 1
    row = after.history.first()  # newest first
    assert row.status == end
    expected_user = request.getfixturevalue(actor_name) if actor_name else None
    assert row.history_user == expected_user
    assert reason in row.history_change_reason


def test_cancelling_gives_the_units_back(workflow, offered):
    reservation = workflow.to("scheduled", quantity=3)
    assert _reload(offered).status == "reserved"
    cancelled = workflow.step(reservation, "cancel")
    assert cancelled.reason == "Plus besoin" and cancelled.cancelled_at is not None
    item = _reload(offered)
    assert (item.quantity_reserved, item.status) == (0, "available")


def test_the_giver_may_cancel_too(workflow, staff):
    reservation = workflow.to("approved")
    assert services.reservation_cancel(actor=staff, reservation=reservation, reason="Fermeture").status == "cancelled"


def test_a_missed_pickup_sends_its_claims_back_to_planning(workflow, coordinator):
    reservation = workflow.to("scheduled")
    pickup = services.pickup_missed(actor=coordinator, pickup=reservation.pickup)
    assert pickup.status == "missed"
    assert _reload(reservation).status == "approved"
    again = workflow.step(_reload(reservation), "schedule")
    assert again.status == "scheduled" and again.pickup != pickup


#
# Wrong state
#
ACTION_ACTORS = {
    "approve": "staff", "decline": "staff", "return": "staff",
    "cancel": "volunteer", "collect": "volunteer", "deliver": "volunteer",
}
ALLOWED = {
    ("requested", "approve"), ("requested", "decline"), ("requested", "cancel"),
    ("approved", "cancel"), ("scheduled", "cancel"), ("scheduled", "collect"),
    ("collected", "deliver"), ("delivered", "return"),
}
WRONG_STATE = [
    (status, action)
    for status in ["requested", "approved", "scheduled", "collected", "delivered", "returned", "declined",
                   "cancelled", "expired"]
    for action in ACTION_ACTORS
    if (status, action) not in ALLOWED
]


@pytest.mark.parametrize(("status", "action"), WRONG_STATE)
def test_an_action_in_the_wrong_state_is_refused(request, workflow, status, action):
    reservation = workflow.to(status, **LOAN)
    actor = request.getfixturevalue(ACTION_ACTORS[action])
    before = _history_count(reservation)
    call = {
        "approve": lambda: services.reservation_approve(actor=actor, reservation=reservation),
        "decline": lambda: services.reservation_decline(actor=actor, reservation=reservation, reason="x"),
        "cancel": lambda: services.reservation_cancel(actor=actor, reservation=reservation, reason="x"),
        "collect": lambda: services.reservation_collect(actor=actor, reservation=reservation,
                                                        handover_code=reservation.handover_code or "000000"),
        "deliver": lambda: services.reservation_deliver(actor=actor, reservation=reservation),
        "return": lambda: services.reservation_return(actor=actor, reservation=reservation),
    }[action]
    with pytest.raises(WorkflowError) as error:
        call()
    assert error.value.code == "invalid_transition"
    assert _reload(reservation).status == status
    assert _history_count(reservation) == before


@pytest.mark.parametrize("status", ["requested", "scheduled", "collected", "delivered"])
def test_scheduling_needs_an_approved_claim(workflow, status):
    reservation = workflow.to(status)
    with pytest.raises(WorkflowError) as error:
        workflow.step(reservation, "schedule")
    assert error.value.code == "invalid_transition"


def test_a_stale_object_is_checked_against_the_database(workflow, staff):
    reservation = workflow.claim()
    stale = Reservation.objects.get(pk=reservation.pk)
    workflow.step(reservation, "decline")
    with pytest.raises(WorkflowError) as error:
        services.reservation_approve(actor=staff, reservation=stale)  # still says "requested"
    assert error.value.code == "invalid_transition"


#
# Wrong role, wrong organisation
#
@pytest.fixture
def outsiders(db):
    """Members of organisations unrelated to the claim, and a département viewer."""
    other_giver = OrganisationFactory()
    other_association = AssociationFactory()
    department = OrganisationFactory(kind="department")
    return {
        "other_staff": member(other_giver, Role.STAFF),
        "other_volunteer": member(other_association, Role.VOLUNTEER),
        "other_coordinator": member(other_association, Role.COORDINATOR),
        "viewer": member(department, Role.VIEWER),
    }


FORBIDDEN = [
    # (status the claim is in, action, who tries)
    ("requested", "approve", "volunteer"),  # wrong side
    ("requested", "approve", "coordinator"),
    ("requested", "approve", "other_staff"),  # wrong organisation
    ("requested", "approve", "viewer"),  # read-only role
    ("requested", "decline", "volunteer"),
    ("requested", "decline", "other_staff"),
    ("requested", "cancel", "other_staff"),
    ("requested", "cancel", "other_volunteer"),
    ("requested", "cancel", "viewer"),
    ("scheduled", "collect", "staff"),  # the giver cannot confirm its own handover
    ("scheduled", "collect", "other_volunteer"),
    ("scheduled", "collect", "viewer"),
    ("collected", "deliver", "staff"),
    ("collected", "deliver", "other_coordinator"),
    ("delivered", "return", "volunteer"),
    ("delivered", "return", "other_staff"),
]


@pytest.mark.parametrize(("status", "action", "who"), FORBIDDEN)
def test_an_action_by_the_wrong_person_is_refused(request, workflow, outsiders, status, action, who):
    reservation = workflow.to(status, **LOAN)
    actor = outsiders[who] if who in outsiders else request.getfixturevalue(who)
    before = _history_count(reservation)
    call = {
        "approve": lambda: services.reservation_approve(actor=actor, reservation=reservation),
        "decline": lambda: services.reservation_decline(actor=actor, reservation=reservation, reason="x"),
        "cancel": lambda: services.reservation_cancel(actor=actor, reservation=reservation, reason="x"),
        "collect": lambda: services.reservation_collect(actor=actor, reservation=reservation,
                                                        handover_code=reservation.handover_code),
        "deliver": lambda: services.reservation_deliver(actor=actor, reservation=reservation),
        "return": lambda: services.reservation_return(actor=actor, reservation=reservation),
    }[action]
    with pytest.raises(PermissionDenied):
        call()
    assert _reload(reservation).status == status
    assert _history_count(reservation) == before


def test_claims_are_made_only_by_claiming_members(offered, association, outsiders, viewer):
    for actor in (outsiders["other_volunteer"], viewer):
        with pytest.raises(PermissionDenied):
            services.reservation_create(actor=actor, item=offered, requester=association, quantity=1)
    assert not Reservation.objects.exists()


def test_a_volunteer_on_the_pickup_may_collect(workflow, association):
    helper = member(association, Role.VOLUNTEER)
    reservation = workflow.to("approved")
    start = timezone.now() + timedelta(days=1)
    services.pickup_create(actor=workflow_coordinator(association), reservations=[reservation],
                           window_start=start, window_end=start + timedelta(hours=1), volunteers=[helper])
    reservation = _reload(reservation)
    done = services.reservation_collect(actor=helper, reservation=reservation, handover_code=reservation.handover_code)
    assert done.status == "collected"


def workflow_coordinator(association):
    return Membership.objects.get(organisation=association, role=Role.COORDINATOR).user


def test_superusers_may_moderate_from_the_admin(workflow):
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "x")
    reservation = services.reservation_approve(actor=admin, reservation=workflow.claim())
    assert reservation.status == "approved"
    assert reservation.history.first().history_user == admin


#
# Pickups
#
def _window():
    start = timezone.now() + timedelta(days=1)
    return {"window_start": start, "window_end": start + timedelta(hours=2)}


def test_a_pickup_schedules_every_claim(workflow, coordinator, volunteer, giver, association, offered):
    claims = [workflow.to("approved"), workflow.to("approved")]
    pickup = services.pickup_create(actor=coordinator, reservations=claims, volunteers=[volunteer], **_window())
    assert (pickup.organisation, pickup.giver, pickup.status) == (association, giver, "planned")
    assert list(pickup.volunteers.all()) == [volunteer]
    assert {r.status for r in pickup.reservations.all()} == {"scheduled"}
    assert pickup.history.first().history_user == coordinator


def test_a_pickup_stays_at_one_giver(workflow, coordinator, offered):
    elsewhere = AvailableItemFactory(owner=OrganisationFactory(), quantity=2)
    member(elsewhere.owner, Role.STAFF)
    first = workflow.to("approved")
    other = workflow.claim(item=elsewhere)
    staff_elsewhere = Membership.objects.get(organisation=elsewhere.owner, role=Role.STAFF).user
    other = services.reservation_approve(actor=staff_elsewhere, reservation=other)
    with pytest.raises(WorkflowError) as error:
        services.pickup_create(actor=coordinator, reservations=[first, other], volunteers=[], **_window())
    assert error.value.code == "mixed_givers"
    assert {_reload(first).status, _reload(other).status} == {"approved"}


@pytest.mark.parametrize("who", ["volunteer", "staff", "other_coordinator"])
def test_only_the_associations_coordinators_plan_pickups(request, workflow, outsiders, who):
    actor = outsiders[who] if who in outsiders else request.getfixturevalue(who)
    reservation = workflow.to("approved")
    with pytest.raises(PermissionDenied):
        services.pickup_create(actor=actor, reservations=[reservation], volunteers=[], **_window())
    assert _reload(reservation).status == "approved"


def test_pickup_volunteers_come_from_the_association(workflow, coordinator, outsiders):
    reservation = workflow.to("approved")
    with pytest.raises(ValidationError):
        services.pickup_create(actor=coordinator, reservations=[reservation],
                               volunteers=[outsiders["other_volunteer"]], **_window())
    start = timezone.now()
    with pytest.raises(ValidationError):
        services.pickup_create(actor=coordinator, reservations=[reservation], volunteers=[],
                               window_start=start, window_end=start)
    assert _reload(reservation).status == "approved"


def test_a_pickup_closes_itself_once_everything_was_collected(workflow, coordinator, volunteer):
    reservation = workflow.to("scheduled")
    pickup = reservation.pickup
    with pytest.raises(WorkflowError) as error:
        services.pickup_done(actor=coordinator, pickup=pickup)
    assert error.value.code == "invalid_transition"
    workflow.step(reservation, "collect")
    pickup.refresh_from_db()
    assert pickup.status == "done"
    assert pickup.history.first().history_change_reason == "Each reservation collected or cancelled"
    with pytest.raises(WorkflowError):
        services.pickup_missed(actor=coordinator, pickup=pickup)


def test_pickup_update_moves_the_window_and_adds_volunteers(workflow, coordinator, association, volunteer):
    reservation = workflow.to("scheduled")
    helper = member(association, Role.VOLUNTEER)
    window = _window()
    window["window_start"] += timedelta(days=1)
    window["window_end"] += timedelta(days=1)
    pickup = services.pickup_update(actor=coordinator, pickup=reservation.pickup, volunteers=[volunteer, helper],
                                    **window)
    assert pickup.window_start == window["window_start"]
    assert set(pickup.volunteers.all()) == {volunteer, helper}
    with pytest.raises(PermissionDenied):
        services.pickup_update(actor=volunteer, pickup=pickup, volunteers=[])


#
# Withdrawal
#
def test_withdrawing_cancels_open_claims_but_not_collected_ones(workflow, staff, offered):
    open_claim = workflow.to("approved")
    collected = workflow.to("collected")
    item = services.item_withdraw(actor=staff, item=offered, reason="Finalement conservé")
    assert item.status == "withdrawn"
    open_claim = _reload(open_claim)
    assert (open_claim.status, open_claim.reason) == ("cancelled", "Finalement conservé")
    assert _reload(collected).status == "collected"
    assert _reload(offered).quantity_reserved == 1  # the collected unit is still on its way
    delivered = workflow.step(_reload(collected), "deliver")
    item = _reload(offered)
    assert delivered.status == "delivered" and item.status == "withdrawn" and item.quantity_transferred == 1
    with pytest.raises(WorkflowError) as error:
        services.item_withdraw(actor=staff, item=item)
    assert error.value.code == "invalid_transition"


def test_only_the_owners_staff_withdraw(offered, volunteer):
    with pytest.raises(PermissionDenied):
        services.item_withdraw(actor=volunteer, item=offered)
    assert _reload(offered).status == Item.Status.AVAILABLE


#
# Notifications read
#
def test_marking_notifications_read_touches_only_the_actors(workflow, staff, outsiders):
    workflow.claim()
    workflow.claim()
    mine = list(staff.notifications.values_list("pk", flat=True))
    assert len(mine) == 2
    assert services.notifications_mark_read(actor=outsiders["other_staff"], ids=mine) == 0
    assert services.notifications_mark_read(actor=staff, ids=mine[:1]) == 1
    assert services.notifications_mark_read(actor=staff) == 1
    assert not staff.notifications.filter(read_at__isnull=True).exists()
