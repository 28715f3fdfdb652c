"""Who may book shared equipment and act on bookings — built on ``inventory.permissions``.

The owner side of a booking is the staff of the item's owner; the booker side is the
claiming members (staff, volunteer, coordinator) of the requesting organisation. As for
claims (``exchange.permissions``), nobody approves a booking of an organisation they belong
to, and the Django admin's superusers may approve, decline and cancel.
"""

from django.utils.translation import gettext_lazy as _

from exchange.permissions import refusal_by_rules
from inventory.errors import Forbidden, WorkflowError
from inventory.models import Item, Membership, Organisation
from inventory.permissions import CLAIMING_ROLES, Roles, can_manage_item, has_role

from . import states
from .models import Booking, BookingRules

Role = Membership.Role
PUBLIC_STATUSES = (Organisation.LegalStatus.PUBLIC_BODY, Organisation.LegalStatus.PUBLIC_ESTABLISHMENT)


def can_book_for(user, organisation: Organisation | int) -> bool:
    """Anyone who may claim for an organisation may book for it."""
    return has_role(user, organisation, *CLAIMING_ROLES)


def can_manage_sharing(user, item: Item) -> bool:
    """The owner's staff set the booking rules and print the labels."""
    return can_manage_item(user, item)


def can_print_labels(user, items, roles: Roles | None = None) -> bool:
    """QR labels are printed by the staff of each item's owner (one membership read for a sheet)."""
    roles = roles or Roles(user)
    return all(roles.has(item.owner_id, Role.STAFF) for item in items)


def audience_refusal(*, item: Item, rules: BookingRules, requester: Organisation) -> WorkflowError | None:
    """Why ``requester`` may not book ``item`` at all (the rules' audience) — None when it may."""
    if requester.pk == item.owner_id:
        return WorkflowError("own_item", _("This item is your organisation's own: no booking needed."))
    if rules.audience == BookingRules.Audience.PUBLIC_BODIES and requester.legal_status not in PUBLIC_STATUSES:
        return WorkflowError("not_in_audience", _("Only public bodies and establishments may book this item."))
    if rules.audience == BookingRules.Audience.NAMED and (
        rules.pk is None or not rules.organisations.filter(pk=requester.pk).exists()
    ):
        return WorkflowError("not_in_audience", _("Only the organisations its owner named may book this item."))
    return None


class _Sides:
    """Where the user stands on one booking."""

    def __init__(self, roles: Roles, booking: Booking):
        self.owner = roles.has(booking.item.owner_id, Role.STAFF)
        self.booker = roles.has(booking.requester_id, *CLAIMING_ROLES)
        self.requester_member = roles.has(booking.requester_id)  # any role, for separation of duties
        self.admin = roles.superuser


# action: (who may, the refusal's message, who is barred by separation of duties, its message)
_RULES = {
    states.APPROVE: (
        lambda s: s.owner or s.admin, _("Only the owner's staff may approve a booking."),
        lambda s: s.requester_member,
        _("You belong to the booking organisation: another member of the owner's staff must approve it."),
    ),
    states.DECLINE: (lambda s: s.owner or s.admin, _("Only the owner's staff may decline a booking."), None, ""),
    states.CANCEL: (lambda s: s.owner or s.booker or s.admin, _("You may not cancel this booking."), None, ""),
    states.CHECK_OUT: (
        lambda s: s.owner or s.booker, _("Only the owner's staff or the booking organisation may check it out."),
        None, "",
    ),
    states.CHECK_IN: (
        lambda s: s.owner or s.booker, _("Only the owner's staff or the booking organisation may check it in."),
        None, "",
    ),
}


def booking_refusal(user, booking: Booking, action: str, roles: Roles | None = None) -> Forbidden | None:
    """Why ``user`` may not take ``action`` on ``booking`` — None when it may. The one
    permission rule of the booking actions, separation of duties included. Pass ``roles``
    when checking a list."""
    return refusal_by_rules(_RULES, action, lambda: _Sides(roles or Roles(user), booking))


def may(user, booking: Booking, action: str, roles: Roles | None = None) -> bool:
    return booking_refusal(user, booking, action, roles) is None
