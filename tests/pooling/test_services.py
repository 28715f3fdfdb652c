"""Booking shared equipment through the services: rules, conflicts, lots, recurrence, every
transition allowed and refused, history and events."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from exchange import services as exchange_services
from exchange.models import Notification
from inventory.errors import Forbidden, WorkflowError
from inventory.models import Membership, Organisation
from pooling import services
from pooling.models import Booking, BookingRules
from tests.factories import AssociationFactory, ItemFactory, OrganisationFactory, image_bytes, member, upload

from .conftest import day

Role = Membership.Role


def book(actor, item, requester, start, end, **kwargs):
    return services.booking_create(actor=actor, item=item, requester=requester, start=start, end=end, **kwargs)


#
# Creating
#
def test_a_booking_waits_for_the_owner_unless_auto_approved(minibus, chairs, school, booker, staff):
    [request] = book(booker, minibus, school, day(1), day(3), purpose="Sortie au musée")
    assert (request.status, request.approved_at, request.single_unit) == ("requested", None, True)
    assert request.booked_by == booker and request.days == 2 and request.last_day == day(2)
    assert Notification.objects.filter(user=staff, kind="booking_requested", object_id=request.pk).exists()

    [auto] = book(booker, chairs, school, day(1), day(3))
    assert auto.status == "approved" and auto.approved_at is not None and not auto.single_unit


def test_adjacent_periods_are_both_allowed(minibus, school, booker):
    book(booker, minibus, school, day(1), day(3))
    [next_one] = book(booker, minibus, school, day(3), day(5))  # starts the day the first one ends
    assert next_one.start == day(3)


@pytest.mark.parametrize(("start", "end", "clash"), [
    (1, 3, 1),  # the same days
    (0, 2, 1),  # ends inside
    (2, 6, 2),  # starts inside
    (0, 6, 1),  # around
])
def test_an_overlap_is_refused_naming_the_first_day_that_clashes(minibus, school, booker, start, end, clash):
    book(booker, minibus, school, day(1), day(3))
    with pytest.raises(WorkflowError) as refused:
        book(booker, minibus, school, day(start), day(end))
    assert refused.value.code == "booking_conflict"
    assert day(clash).strftime("%m/%d/%Y") in refused.value.message
    assert Booking.objects.count() == 1


def test_declined_and_cancelled_bookings_free_their_days(minibus, school, booker, staff):
    [first] = book(booker, minibus, school, day(1), day(3))
    services.booking_decline(actor=staff, booking=first, reason="Révision prévue")
    [second] = book(booker, minibus, school, day(1), day(3))
    services.booking_cancel(actor=booker, booking=second)
    [third] = book(booker, minibus, school, day(1), day(3))
    assert third.status == "requested"


def test_a_lot_of_two_units_takes_two_bookings_a_day_not_three(chairs, school, booker):
    other = OrganisationFactory()
    other_staff = member(other)
    book(booker, chairs, school, day(1), day(4))
    book(other_staff, chairs, other, day(2), day(3))
    with pytest.raises(WorkflowError) as refused:
        book(booker, chairs, school, day(0), day(5))
    assert refused.value.code == "booking_conflict"
    assert "Only 0 of 2 unit(s) free on 12/09/2026" in refused.value.message
    # two units at once are refused as soon as one is taken, one unit is fine on a day with one left
    with pytest.raises(WorkflowError):
        book(booker, chairs, school, day(3), day(4), quantity=2)
    [fits] = book(booker, chairs, school, day(3), day(4))
    assert fits.quantity == 1
    with pytest.raises(WorkflowError) as too_many:
        book(booker, chairs, school, day(8), day(9), quantity=3)
    assert too_many.value.code == "not_enough_units"


def test_recurring_bookings_are_all_or_nothing(minibus, school, booker, giver):
    other = OrganisationFactory()
    book(member(other), minibus, other, day(15), day(16))  # Tuesday two weeks on

    with pytest.raises(WorkflowError) as refused:
        book(booker, minibus, school, day(1), day(2), repeat_weeks=3)  # every Tuesday for 4 weeks
    assert refused.value.code == "booking_conflict"
    assert "12/22/2026" in refused.value.message and "week 3 of 4" in refused.value.message
    assert Booking.objects.filter(requester=school).count() == 0

    series = book(booker, minibus, school, day(2), day(3), repeat_weeks=3)  # every Wednesday
    assert [b.start for b in series] == [day(2), day(9), day(16), day(23)]
    assert len({b.series for b in series}) == 1 and series[0].series is not None


#
# Rules
#
def test_notice_longest_period_and_units_follow_the_items_rules(minibus, school, booker):
    BookingRules.objects.filter(item=minibus).update(lead_days=3, max_days=2)
    with pytest.raises(WorkflowError) as too_soon:
        book(booker, minibus, school, day(2), day(3))
    assert too_soon.value.code == "too_soon" and "12/10/2026" in too_soon.value.message
    with pytest.raises(WorkflowError) as too_long:
        book(booker, minibus, school, day(3), day(6))
    assert too_long.value.code == "too_long"
    [ok] = book(booker, minibus, school, day(3), day(5))
    assert ok.days == 2


def test_public_bodies_only(minibus, school, booker):
    BookingRules.objects.filter(item=minibus).update(audience=BookingRules.Audience.PUBLIC_BODIES)
    association = AssociationFactory()
    with pytest.raises(WorkflowError) as refused:
        book(member(association, Role.VOLUNTEER), minibus, association, day(1), day(2))
    assert refused.value.code == "not_in_audience"
    assert book(booker, minibus, school, day(1), day(2))


def test_named_organisations_only(minibus, school, booker, staff):
    friend = OrganisationFactory(legal_status=Organisation.LegalStatus.PRIVATE_NONPROFIT)
    services.booking_rules_update(actor=staff, item=minibus, auto_approve=True, max_days=5, lead_days=0,
                                  audience=BookingRules.Audience.NAMED, organisations=[friend])
    with pytest.raises(WorkflowError) as refused:
        book(booker, minibus, school, day(1), day(2))
    assert refused.value.code == "not_in_audience"
    [ok] = book(member(friend), minibus, friend, day(1), day(2))
    assert ok.status == "approved"
    assert minibus.booking_rules.history.first().history_change_reason == "Booking rules changed"


def test_rules_are_the_owners_and_need_names_when_named(minibus, booker, staff):
    with pytest.raises(PermissionDenied):
        services.booking_rules_update(actor=booker, item=minibus, auto_approve=True, max_days=5, lead_days=0)
    with pytest.raises(ValidationError) as invalid:
        services.booking_rules_update(actor=staff, item=minibus, auto_approve=True, max_days=0, lead_days=0)
    assert "max_days" in invalid.value.message_dict
    with pytest.raises(ValidationError):
        services.booking_rules_update(actor=staff, item=minibus, auto_approve=True, max_days=5, lead_days=0,
                                      audience="named")


def test_bad_input_is_refused_before_anything_is_written(minibus, school, booker):
    for start, end, kwargs, field in [
        (day(3), day(3), {}, "end"), (day(-1), day(2), {}, "start"), (day(1), day(2), {"quantity": 0}, "quantity"),
        (day(1), day(2), {"repeat_weeks": 60}, "repeat_weeks"), (day(1), day(2), {"purpose": "x" * 2001}, "purpose"),
    ]:
        with pytest.raises(ValidationError) as refused:
            book(booker, minibus, school, start, end, **kwargs)
        assert field in refused.value.message_dict
    assert not Booking.objects.exists()


def test_who_may_book(minibus, giver, school, staff):
    with pytest.raises(PermissionDenied):
        book(member(school, Role.VIEWER), minibus, school, day(1), day(2))
    with pytest.raises(WorkflowError) as own:
        book(staff, minibus, giver, day(1), day(2))
    assert own.value.code == "own_item"
    to_give = ItemFactory(owner=giver, status="available")
    with pytest.raises(WorkflowError) as not_shared:
        book(member(school), to_give, school, day(1), day(2))
    assert not_shared.value.code == "not_shared"


def test_a_shared_item_is_never_claimed(minibus, association, volunteer):
    with pytest.raises(WorkflowError) as refused:
        exchange_services.reservation_create(actor=volunteer, item=minibus, requester=association, quantity=1)
    assert refused.value.code == "item_not_available"


#
# Transitions
#
def test_the_whole_life_of_a_booking_with_history(minibus, school, booker, staff, django_capture_on_commit_callbacks):
    [booking] = book(booker, minibus, school, day(0), day(2))
    booking = services.booking_approve(actor=staff, booking=booking)
    booking = services.booking_check_out(actor=booker, booking=booking)
    with django_capture_on_commit_callbacks() as callbacks:
        booking = services.booking_check_in(
            actor=staff, booking=booking, condition_note="Rayure porte arrière",
            photo=upload("retour.jpg", image_bytes(size=(1600, 1200))),
        )
    assert booking.status == "returned" and booking.returned_at and booking.out_at and booking.approved_at
    assert booking.condition_note == "Rayure porte arrière"
    assert booking.return_photo.name.endswith(".jpg") and booking.return_thumbnail.name.endswith(".webp")
    assert booking.unit_value_eur == minibus.effective_unit_value_eur
    reasons = list(booking.history.order_by("history_date").values_list("history_change_reason", flat=True))
    assert reasons == ["Booking requested", "Approved", "Checked out", "Checked in: Rayure porte arrière"]
    assert booking.history.first().history_user == staff
    assert len(callbacks) == 1  # the event leaves after commit


@pytest.mark.parametrize(("status", "action"), [
    ("approved", "approve"), ("approved", "check-in"), ("out", "cancel"), ("out", "check-out"),
    ("returned", "check-in"), ("declined", "approve"), ("cancelled", "check-out"), ("requested", "check-out"),
])
def test_moves_off_the_pipeline_are_refused(minibus, school, booker, staff, status, action):
    [booking] = book(booker, minibus, school, day(0), day(2))
    if status == "declined":
        services.booking_decline(actor=staff, booking=booking)
    elif status == "cancelled":
        services.booking_cancel(actor=staff, booking=booking)
    elif status != "requested":
        services.booking_approve(actor=staff, booking=booking)
        if status in ("out", "returned"):
            services.booking_check_out(actor=booker, booking=booking)
        if status == "returned":
            services.booking_check_in(actor=booker, booking=booking)
    call = {
        "approve": lambda: services.booking_approve(actor=staff, booking=booking),
        "cancel": lambda: services.booking_cancel(actor=staff, booking=booking),
        "check-out": lambda: services.booking_check_out(actor=staff, booking=booking),
        "check-in": lambda: services.booking_check_in(actor=staff, booking=booking),
    }[action]
    with pytest.raises(WorkflowError) as refused:
        call()
    assert refused.value.code == "invalid_transition"
    assert Booking.objects.get(pk=booking.pk).status == status


def test_check_out_only_during_the_days_booked(minibus, school, booker, staff):
    [booking] = book(booker, minibus, school, day(2), day(4))
    services.booking_approve(actor=staff, booking=booking)
    with pytest.raises(WorkflowError) as early:
        services.booking_check_out(actor=booker, booking=booking)
    assert early.value.code == "not_during_booking" and "12/09/2026" in early.value.message


def test_who_may_take_each_action(minibus, school, booker, staff, volunteer):
    [booking] = book(booker, minibus, school, day(0), day(2))
    with pytest.raises(Forbidden):
        services.booking_approve(actor=booker, booking=booking)  # the booker's side
    with pytest.raises(Forbidden):
        services.booking_cancel(actor=volunteer, booking=booking)  # a stranger
    both = member(minibus.owner, Role.STAFF)
    Membership.objects.create(user=both, organisation=school, role=Role.VOLUNTEER)
    with pytest.raises(Forbidden) as barred:
        services.booking_approve(actor=both, booking=booking)
    assert barred.value.code == "separation_of_duties"
    services.booking_approve(actor=staff, booking=booking)
    with pytest.raises(Forbidden):
        services.booking_check_out(actor=volunteer, booking=booking)
    assert services.booking_check_out(actor=staff, booking=booking).status == "out"


def test_a_bad_photo_at_check_in_changes_nothing(minibus, school, booker, staff, _media_root):
    [booking] = book(booker, minibus, school, day(0), day(2))
    services.booking_approve(actor=staff, booking=booking)
    services.booking_check_out(actor=booker, booking=booking)
    with pytest.raises(ValidationError):
        services.booking_check_in(actor=booker, booking=booking, photo=upload("retour.jpg", b"not a picture"))
    assert Booking.objects.get(pk=booking.pk).status == "out"
    assert not [p for p in _media_root.rglob("*") if p.is_file()]


def test_withdrawing_a_shared_item_cancels_its_open_bookings(minibus, school, booker, staff):
    [requested] = book(booker, minibus, school, day(1), day(2))
    [approved] = book(booker, minibus, school, day(0), day(1))
    services.booking_approve(actor=staff, booking=approved)
    services.booking_check_out(actor=booker, booking=approved)
    exchange_services.item_withdraw(actor=staff, item=minibus, reason="Vendu")
    assert Booking.objects.get(pk=requested.pk).status == "cancelled"
    assert Booking.objects.get(pk=requested.pk).reason == "Vendu"
    assert Booking.objects.get(pk=approved.pk).status == "out"  # comes back as usual
