"""Who sees which reservations, pickups, tours, impact records and handover codes."""

from exchange import selectors
from inventory.models import Membership
from tests.factories import AssociationFactory, OrganisationFactory, member

Role = Membership.Role


def test_reservations_are_seen_by_both_sides_and_the_department(workflow, staff, volunteer, viewer):
    reservation = workflow.claim()
    outsider = member(OrganisationFactory(), Role.STAFF)
    for user in (staff, volunteer, viewer):
        assert list(selectors.visible_reservations(user)) == [reservation]
    assert not selectors.visible_reservations(outsider).exists()


def test_only_the_givers_staff_see_the_handover_code(workflow, staff, volunteer, coordinator, viewer):
    reservation = workflow.to("approved")
    assert selectors.can_see_handover_code(staff, reservation)
    for user in (volunteer, coordinator, viewer):
        assert not selectors.can_see_handover_code(user, reservation)


def test_pickups_and_tours_are_seen_by_their_association(workflow, staff, coordinator, viewer):
    reservation = workflow.to("scheduled")
    outsider = member(AssociationFactory(), Role.COORDINATOR)
    for user in (staff, coordinator, viewer):
        assert list(selectors.visible_pickups(user)) == [reservation.pickup]
    assert not selectors.visible_pickups(outsider).exists()
    assert not selectors.visible_tours(outsider).exists()


def test_impact_records_are_seen_by_giver_receiver_and_department(workflow, staff, volunteer, viewer):
    workflow.to("delivered")
    outsider = member(OrganisationFactory(), Role.STAFF)
    for user in (staff, volunteer, viewer):
        assert selectors.visible_impact_records(user).count() == 1
    assert selectors.visible_impact_records(outsider).count() == 0
