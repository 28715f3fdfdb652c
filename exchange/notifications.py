"""Notifications: in the app, by e-mail and pushed to phones, as each person chose.

Called by the services only. Each recipient's texts are rendered in their own language
(``PersonalSettings.language``, chosen on the notifications page; the site's, French, when
they chose none). Per kind, a person may turn off any channel (``NotificationPreference``:
no row means all three). E-mails and pushes leave after commit, pushes through a task.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _

from .models import Notification, NotificationPreference, PersonalSettings

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
    if kind == Kind.FEEDBACK_REQUESTED:
        return _("%(item)s was delivered: how many people will it help?") % {"item": context["reservation"].item}
    if kind in BOOKING_MESSAGES:
        booking = context["booking"]
        return BOOKING_MESSAGES[kind](context) % {
            "item": booking.item, "requester": booking.requester, "quantity": booking.quantity,
            "start": formats.date_format(booking.start, "SHORT_DATE_FORMAT"),
            "last": formats.date_format(booking.last_day, "SHORT_DATE_FORMAT"),
        }
    if kind == Kind.NEED_MATCHED:
        return _("A new item matches your need: %(item)s.") % {"item": context["item"]}
    if kind == Kind.PICKUP_TOMORROW:
        pickup = context["pickup"]
        return _("Tomorrow %(start)s–%(end)s: %(association)s collects at your site.") % {
            "start": _time(pickup.window_start), "end": _time(pickup.window_end), "association": pickup.organisation}
    if kind == Kind.PICKUP_TODAY:
        pickup = context["pickup"]
        return _("Today %(start)s–%(end)s: pickup at %(giver)s, %(address)s.") % {
            "start": _time(pickup.arrival or pickup.window_start), "end": _time(pickup.window_end),
            "giver": pickup.giver, "address": pickup.giver.address}
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


def _time(moment) -> str:
    from django.utils import timezone

    return formats.time_format(timezone.localtime(moment), "TIME_FORMAT")


def url_for(object_type: str, object_id: int, kind: str) -> str:
    """Where a notification leads in the app (its link, and a push's ``url``)."""
    if object_type == Notification.ObjectType.ITEM:
        return reverse("item_detail", args=[object_id])
    if object_type == Notification.ObjectType.NEED:
        return reverse("need_detail", args=[object_id])
    if kind == Kind.PICKUP_TOMORROW:  # the giver's staff: their claims page holds the codes
        return reverse("claims")
    if object_type == Notification.ObjectType.PICKUP:
        return reverse("my_pickups")
    if kind in (Kind.CLAIM_CREATED, Kind.CODE_REPLACED):  # the giver's staff
        return reverse("claims")
    if kind == Kind.FEEDBACK_REQUESTED:
        return reverse("reservation_feedback", args=[object_id])
    if object_type == Notification.ObjectType.BOOKING:  # the owner's staff answer from "our items"
        return reverse("my_bookings") + ("?side=items" if kind == Kind.BOOKING_REQUESTED else "")
    return reverse("my_reservations")


def channels(users, kind: str) -> dict[int, dict[str, bool]]:
    """``{user id: {"in_app", "email", "push"}}`` for ``kind``: one query."""
    chosen = {
        row["user_id"]: row
        for row in NotificationPreference.objects.filter(user__in=users, kind=kind).values(
            "user_id", *NotificationPreference.CHANNELS)
    }
    default = dict.fromkeys(NotificationPreference.CHANNELS, True)
    return {user.pk: {c: chosen.get(user.pk, default)[c] for c in NotificationPreference.CHANNELS} for user in users}


def languages(users) -> dict[int, str]:
    """Each user's language for what Rebond sends them (the site's when they chose none)."""
    chosen = dict(PersonalSettings.objects.filter(user__in=users).exclude(language="")
                  .values_list("user_id", "language"))
    return {user.pk: chosen.get(user.pk, settings.LANGUAGE_CODE) for user in users}


def notify(*, users, kind: str, obj, context: dict) -> list[Notification]:
    """Tell each of ``users`` about ``obj`` (``kind``): a notification in the app, an e-mail
    and a push to their phones, each unless they turned that channel off for ``kind``.

    ``context`` feeds the message and the template ``exchange/email/<kind>.txt``, rendered in
    each recipient's language. E-mails and pushes leave after commit; a mail server or push
    service failure is logged, never raised. Returns the in-app notifications created.
    """
    recipients = list({user.pk: user for user in users if user is not None and user.is_active}.values())
    if not recipients:
        return []
    object_type = obj._meta.model_name
    wanted, language_of = channels(recipients, kind), languages(recipients)
    url = url_for(object_type, obj.pk, kind)
    notifications, mails, pushes = [], [], []
    for language in sorted(set(language_of.values())):
        with translation.override(language):
            message = _message(kind, context)
            title = str(Kind(kind).label)
            for user in (u for u in recipients if language_of[u.pk] == language):
                if wanted[user.pk]["in_app"]:
                    notifications.append(Notification(user=user, kind=kind, message=message, object_type=object_type,
                                                      object_id=obj.pk))
                if wanted[user.pk]["email"] and user.email:
                    body = render_to_string(f"exchange/email/{kind}.txt",
                                            {**context, "user": user, "message": message})
                    mails.append((_("Rebond: %(message)s") % {"message": message}, body, user.email))
                if wanted[user.pk]["push"]:
                    pushes.append((user.pk, {"type": kind, "title": title, "body": message, "url": url}))
    Notification.objects.bulk_create(notifications)
    if mails:
        transaction.on_commit(lambda: _send(mails), robust=True)
    if pushes:
        transaction.on_commit(lambda: _push(pushes), robust=True)
    return notifications


def _push(pushes) -> None:
    from . import push, tasks

    if push.is_configured():
        tasks.push_task.enqueue(pushes)


def _send(mails) -> None:
    for subject, body, address in mails:
        try:
            send_mail(subject, body, None, [address])
        except Exception:  # one unreachable address must not stop the others
            logger.exception("could not e-mail %s", address)
