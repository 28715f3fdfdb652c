"""Notifications: one row per recipient, and an e-mail sent once the transaction commits.

Called by the services only. Texts are rendered in the site's language
(``settings.LANGUAGE_CODE``, French) since users have no language preference yet; every
string goes through the catalogue, so English comes from the same templates.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.translation import gettext as _

from .models import Notification

logger = logging.getLogger(__name__)

Kind = Notification.Kind


def _message(kind: str, context: dict) -> str:
    """The one-line text of a notification (also the e-mail's subject)."""
    if kind == Kind.CLAIM_CREATED:
        r = context["reservation"]
        return _("%(requester)s claims %(quantity)s × %(item)s.") % {
            "requester": r.requester, "quantity": r.quantity, "item": r.item,
        }
    if kind == Kind.CLAIM_APPROVED:
        return _("Your claim on %(item)s was approved.") % {"item": context["reservation"].item}
    if kind == Kind.CLAIM_DECLINED:
        return _("Your claim on %(item)s was declined.") % {"item": context["reservation"].item}
    if kind == Kind.PICKUP_ASSIGNED:
        pickup = context["pickup"]
        return _("You are assigned to a pickup at %(giver)s.") % {"giver": pickup.giver}
    if kind == Kind.CODE_REPLACED:
        return _("The handover code of the claim on %(item)s was replaced after wrong tries.") % {
            "item": context["reservation"].item}
    if kind in BOOKING_MESSAGES:
        booking = context["booking"]
        return BOOKING_MESSAGES[kind](context) % {
            "item": booking.item, "requester": booking.requester, "quantity": booking.quantity,
            "start": formats.date_format(booking.start, "SHORT_DATE_FORMAT"),
            "last": formats.date_format(booking.last_day, "SHORT_DATE_FORMAT"),
        }
    if kind == Kind.NEED_MATCHED:
        return _("A new item matches your need: %(item)s.") % {"item": context["item"]}
    raise ValueError(f"unknown notification kind {kind!r}")


# Shared equipment (``pooling``): one line each, filled with the booking's item, dates and requester.
BOOKING_MESSAGES = {
    Kind.BOOKING_REQUESTED: lambda c: _(
        "%(requester)s asks to book %(quantity)s × %(item)s from %(start)s to %(last)s."),
    Kind.BOOKING_APPROVED: lambda c: _("Your booking of %(item)s from %(start)s to %(last)s is approved."),
    Kind.BOOKING_DECLINED: lambda c: _("Your booking of %(item)s from %(start)s to %(last)s was declined."),
    Kind.BOOKING_CANCELLED: lambda c: _("The booking of %(item)s from %(start)s to %(last)s was cancelled."),
    Kind.BOOKING_REMINDER: lambda c: (
        _("Reminder: the booking of %(item)s by %(requester)s starts tomorrow (%(start)s).") if c["moment"] == "start"
        else _("Reminder: %(item)s, booked by %(requester)s, is due back after %(last)s.")),
    Kind.BOOKING_LATE: lambda c: _("%(item)s, booked by %(requester)s until %(last)s, has not been checked in."),
}


def notify(*, users, kind: str, obj, context: dict) -> list[Notification]:
    """Create a notification of ``kind`` about ``obj`` for each of ``users`` and e-mail them.

    ``context`` feeds the message and the template ``exchange/email/<kind>.txt``. The
    e-mails leave after commit; a mail server failure is logged, never raised.
    """
    recipients = list({user.pk: user for user in users if user is not None and user.is_active}.values())
    object_type = obj._meta.model_name
    notifications, mails = [], []
    with translation.override(settings.LANGUAGE_CODE):
        message = _message(kind, context)
        for user in recipients:
            notifications.append(
                Notification(user=user, kind=kind, message=message, object_type=object_type, object_id=obj.pk)
            )
            if user.email:
                body = render_to_string(f"exchange/email/{kind}.txt", {**context, "user": user, "message": message})
                mails.append((_("Rebond: %(message)s") % {"message": message}, body, user.email))
    Notification.objects.bulk_create(notifications)
    if mails:
        transaction.on_commit(lambda: _send(mails), robust=True)
    return notifications


def _send(mails) -> None:
    for subject, body, address in mails:
        try:
            send_mail(subject, body, None, [address])
        except Exception:  # one unreachable address must not stop the others
            logger.exception("could not e-mail %s", address)
