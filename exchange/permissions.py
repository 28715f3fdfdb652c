"""Who may act on reservations, pickups, tours and needs — built on ``inventory.permissions``.

The giver side of a reservation is the staff of the item's owner; the requester side is the
claiming members (volunteer, coordinator, staff) of the requesting organisation. Pickups and
tours belong to the association's coordinators.

Superusers are platform administrators: they get no membership anywhere, but the Django
admin's actions (approve, decline, cancel, withdraw) must work for them, so the moderation
predicates below accept them explicitly — and only those.
"""

from django.utils.translation import gettext_lazy as _

from inventory.errors import Forbidden
from inventory.models import Item, Membership, Organisation
from inventory.permissions import (
    CLAIMING_ROLES,
    Roles,
    can_manage_item,
    has_role,
    is_department_manager,
    is_department_member,
)

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


class _Sides:
    """Where the user stands on one reservation."""

    def __init__(self, roles: Roles, reservation: Reservation):
        self.giver = roles.has(reservation.item.owner_id, Role.STAFF)
        self.requester = roles.has(reservation.requester_id, *CLAIMING_ROLES)
        self.requester_member = roles.has(reservation.requester_id)  # any role, for separation of duties
        self.coordinator = roles.has(reservation.requester_id, Role.COORDINATOR)
        self.admin = roles.superuser  # the Django admin's moderation actions


# action: (who may, the refusal's message, who is barred by separation of duties, its message)
_RULES = {
    states.APPROVE: (
        lambda s: s.giver or s.admin, _("Only the giver's staff may approve a claim."),
        lambda s: s.requester_member,
        _("You belong to the claiming organisation: another member of the giver's staff must approve it."),
    ),
    states.DECLINE: (lambda s: s.giver or s.admin, _("Only the giver's staff may decline a claim."), None, ""),
    states.CANCEL: (
        lambda s: s.giver or s.requester or s.admin, _("You may not cancel this reservation."), None, "",
    ),
    states.SCHEDULE: (
        lambda s: s.coordinator, _("Only the association's coordinators may plan its pickups."), None, "",
    ),
    states.MISS: (lambda s: s.coordinator, _("Only the association's coordinators may record it."), None, ""),
    states.COLLECT: (
        lambda s: s.requester, _("You may not collect this reservation."),
        lambda s: s.giver,
        _("You are staff of the giver: another member of the claiming organisation must collect it."),
    ),
    states.DELIVER: (lambda s: s.requester, _("You may not deliver this reservation."), None, ""),
    states.RETURN: (lambda s: s.giver, _("Only the giver's staff may confirm a return."), None, ""),
    states.REFURBISH: (
        lambda s: s.requester,
        _("Only the certified refurbisher that received this item may record its refurbishment."), None, "",
    ),
}


def reservation_refusal(user, reservation: Reservation, action: str, roles: Roles | None = None) -> Forbidden | None:
    """Why ``user`` may not take ``action`` on ``reservation`` — None when it may. The one
    permission rule of the reservation actions, separation of duties included (nobody
    approves a claim of an organisation they belong to, nobody collects from a giver whose
    staff they are). Pass ``roles`` when checking a list."""
    return refusal_by_rules(_RULES, action, lambda: _Sides(roles or Roles(user), reservation))


def refusal_by_rules(rules: dict, action: str, sides) -> Forbidden | None:
    """Read a table ``{action: (who may, refusal message, who is barred by separation of
    duties or None, its message)}`` for one action; ``sides()`` says where the user stands.
    The one reading of the claims' table above and of the bookings' (``pooling.permissions``)."""
    rule = rules.get(action)
    if rule is None:
        return Forbidden("forbidden", _("Unknown action."))
    allowed, message, barred, barred_message = rule
    where = sides()
    if not allowed(where):
        return Forbidden("forbidden", message)
    if barred is not None and barred(where):
        return Forbidden("separation_of_duties", barred_message)
    return None


def may(user, reservation: Reservation, action: str, roles: Roles | None = None) -> bool:
    return reservation_refusal(user, reservation, action, roles) is None


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


#
# The département's reporting
#
def feedback_refusal(user, reservation: Reservation, roles: Roles | None = None) -> Forbidden | None:
    """Why ``user`` may not say what a delivered claim achieved — None when it may: the
    receiving side (the requester's claiming members) answers, nobody else."""
    roles = roles or Roles(user)
    if not roles.has(reservation.requester_id, *CLAIMING_ROLES):
        return Forbidden("forbidden", _("Only the receiving organisation may say whom this delivery helped."))
    return None


PUBLIC_LEGAL_STATUSES = (Organisation.LegalStatus.PUBLIC_BODY, Organisation.LegalStatus.PUBLIC_ESTABLISHMENT)


def agec_declarants(user):
    """The public organisations whose AGEC declaration rows ``user`` may download: every one
    for the département (None), else the public bodies where ``user`` is staff."""
    if is_department_member(user):
        return None
    return Organisation.objects.filter(
        legal_status__in=PUBLIC_LEGAL_STATUSES,
        pk__in=Membership.objects.filter(user=user, role=Role.STAFF).values("organisation"),
    )


def can_download_agec(user) -> bool:
    declarants = agec_declarants(user)
    return declarants is None or declarants.exists()


def can_edit_agec_grid(user) -> bool:
    return is_department_manager(user)


def can_read_open_data(user, *, published: bool) -> bool:
    """The open-data package: everyone once the département publishes it, its members before."""
    return published or is_department_member(user)
