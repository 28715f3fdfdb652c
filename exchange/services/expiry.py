"""Expiry (manage.py expire, and the daily task)."""

import logging
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.models import Item, SiteSettings

from .. import events, states
from ..models import Reservation
from .base import (
    cancel_locked,
    lock_item,
    lock_reservation,
    save_item,
)
from .items import close_item

Status = Reservation.Status
logger = logging.getLogger(__name__)


def expire_due(*, today: date | None = None) -> dict:
    """Expire what is due; each item or claim in its own transaction so one failure stops
    nothing else.

    - Open items (available/reserved) past ``available_until`` become ``expired``; their
      open claims are cancelled with a reason (collected ones go on to delivery).
    - Approved claims neither collected nor scheduled within the claim-expiry delay
      of their approval (or of a missed pickup) expire and free their units.

    Returns ``{"items_expired": n, "reservations_cancelled": n, "reservations_expired": n}``.

    Raises:
        Nothing: a failing row is logged and skipped.
    """
    today = today or timezone.localdate()
    result = {"items_expired": 0, "reservations_cancelled": 0, "reservations_expired": 0}

    due_items = Item.objects.filter(
        status__in=(Item.Status.AVAILABLE, Item.Status.RESERVED), available_until__lt=today,
    ).values_list("pk", flat=True)
    for item_id in list(due_items):
        try:
            with transaction.atomic():
                item = lock_item(item_id)
                if item.status not in (Item.Status.AVAILABLE, Item.Status.RESERVED):
                    continue  # changed meanwhile
                open_claims = Reservation.objects.filter(item=item).open().count()
                close_item(item, status=Item.Status.EXPIRED, actor=None,
                            reason=_("The item's availability ended on %(date)s.") % {"date": item.available_until})
                events.publish(
                    "item.withdrawn", {"id": item.pk, "status": item.status},
                    [events.CATALOGUE, events.DEPARTMENT, events.org_group(item.owner_id)],
                )
            result["items_expired"] += 1
            result["reservations_cancelled"] += open_claims
        except Exception:
            logger.exception("could not expire item %s", item_id)

    days = SiteSettings.current().claim_expiry_days  # the managers' setting, else settings.py
    start_of_today = timezone.make_aware(datetime.combine(today, datetime.min.time()))
    cutoff = start_of_today - timedelta(days=days)
    due_claims = Reservation.objects.filter(status=Status.APPROVED, approved_at__lt=cutoff).filter(
        Q(scheduled_at__isnull=True) | Q(scheduled_at__lt=cutoff)
    ).values_list("pk", flat=True)
    for reservation_id in list(due_claims):
        try:
            with transaction.atomic():
                reservation = lock_reservation(Reservation(pk=reservation_id))
                if reservation.status != Status.APPROVED:
                    continue
                cancel_locked(
                    reservation, actor=None, action=states.EXPIRE,
                    reason=_("Not collected within %(days)s days of approval.") % {"days": days},
                )
                save_item(reservation.item, actor=None,
                           reason=_("Claim #%(id)s expired") % {"id": reservation.pk})
            result["reservations_expired"] += 1
        except Exception:
            logger.exception("could not expire reservation %s", reservation_id)
    return result
