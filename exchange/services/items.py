"""Items leaving the catalogue: withdrawal (and the expiry job's closing of items)."""


from django.db import transaction
from django.utils.translation import gettext as _

from inventory import hooks
from inventory.errors import WorkflowError
from inventory.history import attribute
from inventory.models import Item

from .. import events, permissions
from ..models import Reservation
from .base import (
    cancel_locked,
    clean_reason,
    lock_item,
    require,
)


@transaction.atomic
def item_withdraw(*, actor, item: Item, reason: str = "") -> Item:
    """Take an item out of the catalogue for good; its open claims are cancelled.

    Collected claims go on to delivery: the units have already left the giver's site.

    Raises:
        PermissionDenied: ``actor`` is not staff of the owner.
        WorkflowError: ``invalid_transition`` once gone, withdrawn or expired.
        ValidationError: a reason over 1,000 characters.
    """
    item = lock_item(item.pk)
    require(permissions.can_withdraw(actor, item), _("Only the staff of the owning organisation may withdraw it."))
    reason = clean_reason(reason)
    if item.status not in (Item.Status.DRAFT, Item.Status.AVAILABLE, Item.Status.RESERVED):
        raise WorkflowError(
            "invalid_transition", _("This item cannot be withdrawn (status: %(status)s).")
            % {"status": item.get_status_display()},
        )
    cancel_reason = reason or _("The item was withdrawn by its owner.")
    close_item(item, status=Item.Status.WITHDRAWN, actor=actor, reason=cancel_reason)
    events.publish(
        "item.withdrawn", {"id": item.pk, "status": item.status},
        [events.CATALOGUE, events.DEPARTMENT, events.org_group(item.owner_id)],
    )
    return item


def close_item(item: Item, *, status: str, actor, reason: str) -> None:
    """Withdraw or expire a locked item, cancelling its open claims (and, through
    ``inventory.hooks.on_item_closed``, its open bookings) with ``reason``."""
    for reservation in Reservation.objects.select_for_update().filter(item=item).open().order_by("pk"):
        reservation.item = item
        cancel_locked(reservation, actor=actor, reason=reason)
    for hook in hooks.on_item_closed:
        hook(item=item, actor=actor, reason=reason)
    item.status = status
    attribute(item, actor=actor, reason=reason)
    item.save()
