"""Needs: what organisations look for, and announcing new items to them."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.errors import WorkflowError
from inventory.history import attribute
from inventory.models import Category, Item, Organisation
from inventory.permissions import CLAIMING_ROLES

from .. import events, notifications, permissions
from ..models import Beneficiary, Need, Notification
from .base import (
    members,
    require,
)


@transaction.atomic
def need_create(
    *, actor, organisation: Organisation, category: Category, quantity: int, description: str,
    beneficiary: str, deadline: date | None = None,
) -> Need:
    """Publish what an organisation is looking for; matching new items will be announced to it.

    Raises:
        PermissionDenied: ``actor`` may not claim for ``organisation``.
        ValidationError: a quantity below 1, an unknown beneficiary public, a past deadline.
    """
    require(permissions.can_publish_need_for(actor, organisation),
             _("You may not publish needs for this organisation."))
    if deadline and deadline < timezone.localdate():
        raise ValidationError({"deadline": _("The deadline is in the past.")})
    if beneficiary not in Beneficiary.values:
        raise ValidationError({"beneficiary": _("Unknown beneficiary public.")})
    need = Need(organisation=organisation, category=category, quantity=quantity, description=description or "",
                beneficiary=beneficiary, deadline=deadline, created_by=actor)
    need.full_clean()
    attribute(need, actor=actor, reason=_("Need published"))
    need.save()
    return need


@transaction.atomic
def need_close(*, actor, need: Need) -> Need:
    """Stop looking: the need leaves the list of open needs.

    Raises:
        PermissionDenied: ``actor`` may not act for the need's organisation.
        WorkflowError: ``invalid_transition`` unless open.
    """
    need = Need.objects.select_for_update().get(pk=need.pk)
    require(permissions.can_close_need(actor, need), _("You may not close this need."))
    if need.status != Need.Status.OPEN:
        raise WorkflowError("invalid_transition", _("This need is already %(status)s.") % {
            "status": need.get_status_display()})
    need.status = Need.Status.CLOSED
    attribute(need, actor=actor, reason=_("Need closed"))
    need.save()
    return need


def _category_and_ancestors(category: Category) -> list[int]:
    ids, node = [], category
    while node is not None:
        ids.append(node.pk)
        node = node.parent
    return ids


@transaction.atomic
def announce_item_to_needs(*, item: Item) -> list[Need]:
    """Tell each organisation with an open need in the item's category (or a parent
    category) that it was just published. Called from ``inventory.services.item_publish``
    through ``inventory.hooks``; also sends the ``item.published`` event.

    Raises:
        Nothing: announcing is best effort inside the publishing transaction.
    """
    events.publish(
        "item.published", {"id": item.pk, "status": item.status},
        [events.CATALOGUE, events.DEPARTMENT, events.org_group(item.owner_id)],
    )
    needs = list(
        Need.objects.filter(status=Need.Status.OPEN, category__in=_category_and_ancestors(item.category))
        .filter(Q(deadline__isnull=True) | Q(deadline__gte=timezone.localdate()))
        .exclude(organisation_id=item.owner_id)
        .select_related("organisation", "category")
    )
    if item.category.is_medical:  # nobody else may claim it, so do not raise hopes
        needs = [need for need in needs if need.organisation.is_certified_refurbisher]
    if item.is_shared:  # booked by the day, never given: it meets no need for good
        needs = []
    for need in needs:
        events.publish("need.matched", {"id": need.pk, "item": item.pk}, [events.org_group(need.organisation_id)])
        notifications.notify(
            users=members(need.organisation_id, *CLAIMING_ROLES), kind=Notification.Kind.NEED_MATCHED, obj=need,
            context={"need": need, "item": item},
        )
    return needs
