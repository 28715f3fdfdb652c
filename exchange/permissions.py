"""Who may act on reservations, pickups, tours and needs — built on ``inventory.permissions``.

The giver side of a reservation is the staff of the item's owner; the requester side is the
claiming members (volunteer, coordinator, staff) of the requesting organisation. Pickups and
tours belong to the association's coordinators.

Superusers are platform administrators: they get no membership anywhere, but the Django
admin's actions (approve, decline, cancel, withdraw) must work for them, so the moderation
predicates below accept them explicitly — and only those.
"""

from inventory.models import Item, Membership, Organisation
from inventory.permissions import CLAIMING_ROLES, can_manage_item, has_role, is_department_manager, is_department_member

from . import states
from .models import Need, Pickup, Reservation, Tour

Role = Membership.Role


def _superuser(user) -> bool:
    return bool(user and user.is_authenticated and user.is_superuser)


def is_giver_side(user, reservation: Reservation) -> bool:
    return has_role(user, reservation.item.owner_id, Role.STAFF)


def is_requester_side(user, reservation: Reservation) -> bool:
    return has_role(user, reservation.requester_id, *CLAIMING_ROLES)


def is_coordinator(user, organisation: Organisation | int) -> bool:
    return has_role(user, organisation, Role.COORDINATOR)


#
# Reservations
#
def can_claim_for(user, organisation: Organisation | int) -> bool:
    return has_role(user, organisation, *CLAIMING_ROLES)


def can_approve(user, reservation: Reservation) -> bool:
    return is_giver_side(user, reservation) or _superuser(user)


can_decline = can_approve


def can_cancel(user, reservation: Reservation) -> bool:
    return is_giver_side(user, reservation) or is_requester_side(user, reservation) or _superuser(user)


def can_collect(user, reservation: Reservation) -> bool:
    """Any member of the requester, or a volunteer assigned to the reservation's pickup."""
    if is_requester_side(user, reservation):
        return True
    pickup = reservation.pickup
    return bool(pickup and user.is_authenticated and pickup.volunteers.filter(pk=user.pk).exists())


can_deliver = can_collect


def can_return(user, reservation: Reservation) -> bool:
    return is_giver_side(user, reservation)


def can_act(user, reservation: Reservation, action: str) -> bool:
    """The permission check for ``action`` on ``reservation`` (actions of ``states``)."""
    checks = {
        states.APPROVE: can_approve,
        states.DECLINE: can_decline,
        states.CANCEL: can_cancel,
        states.COLLECT: can_collect,
        states.DELIVER: can_deliver,
        states.RETURN: can_return,
        states.SCHEDULE: lambda u, r: is_coordinator(u, r.requester_id),
        states.MISS: lambda u, r: is_coordinator(u, r.requester_id),
    }
    check = checks.get(action)
    return bool(check and check(user, reservation))


def can_record_refurbishment(user, reservation: Reservation) -> bool:
    return is_requester_side(user, reservation)


def can_grant_transfer_exception(user) -> bool:
    return is_department_manager(user)


def can_view_transfer_record(user, reservation: Reservation) -> bool:
    """Both parties and the département read (and download) the transfer records."""
    return is_giver_side(user, reservation) or is_requester_side(user, reservation) or is_department_member(user)


def can_export_inventory_exits(user, giver: Organisation | int) -> bool:
    """The giver's staff (for its accountant) and the département."""
    return has_role(user, giver, Role.STAFF) or is_department_member(user)


def can_withdraw(user, item: Item) -> bool:
    return can_manage_item(user, item) or _superuser(user)


#
# Pickups and tours
#
def can_manage_pickup(user, pickup: Pickup) -> bool:
    return is_coordinator(user, pickup.organisation_id)


def can_manage_tour(user, tour: Tour) -> bool:
    return is_coordinator(user, tour.organisation_id)


#
# Needs
#
def can_publish_need_for(user, organisation: Organisation | int) -> bool:
    """Anyone who may claim for an organisation may say what it needs."""
    return can_claim_for(user, organisation)


def can_close_need(user, need: Need) -> bool:
    return can_claim_for(user, need.organisation_id) or _superuser(user)
