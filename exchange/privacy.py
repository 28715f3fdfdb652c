"""Personal data (GDPR): what Rebond holds about a person, and erasure by anonymisation.

Erasure keeps every reservation, history row and impact record — the département's figures
must not change — but leaves nothing that names the person outside the legal records listed
in ``RETAINED``: the account row stays (history points at it) with an anonymous username, no
name, no e-mail and no usable password; the person's memberships, sessions, API tokens,
notifications, verified address, push subscriptions, calendar address and
notification settings are removed, and so is their address on the invitations
they received (history copies included).
"""

from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.models import registered_models

from accounts.models import ApiToken, VerifiedEmail
from accounts.tokens import tokens_revoke_all
from inventory.history import attribute
from inventory.models import Invitation, Item, Membership

from .models import (
    DeliveryFeedback,
    Need,
    Notification,
    NotificationPreference,
    PersonalSettings,
    Pickup,
    PushSubscription,
    Reminder,
    Reservation,
    Tour,
    TransferRecord,
)

ERASED_PREFIX = "erased-"

# More of a person's data held by other apps: ``section(user) -> (key, rows)``, registered in
# their ``AppConfig.ready()`` (the pooling app's bookings), so this module imports none of them.
PERSONAL_DATA_SECTIONS: list = []

# What erasure keeps, why, and for how long: the "My data" page lists it.
RETAINED = [
    {
        "what": gettext_lazy("Transfer records (procès-verbal de cession, convention de mise à disposition) "
                             "that name you as the person who collected, with the signature drawn at the door"),
        "why": gettext_lazy("They are the legal proof that public property left the giver's inventory; the "
                            "giver's accountant and the département must be able to produce them."),
        "how_long": gettext_lazy("10 years after the transfer, as the accounting documents they support"),
    },
    {
        "what": gettext_lazy("Claims, pickups, tours and history entries you took part in"),
        "why": gettext_lazy("The département reports what reuse achieved; they stay without your name (the "
                            "account becomes “erased-…”)."),
        "how_long": gettext_lazy("As long as the scheme's reports are kept; nothing in them names you any more"),
    },
    {
        "what": gettext_lazy("Impact figures (kg, CO2e, euros)"),
        "why": gettext_lazy("They hold no personal data: organisations, categories and quantities only."),
        "how_long": gettext_lazy("As long as the scheme's reports are kept"),
    },
    {
        "what": gettext_lazy("Invitations you sent"),
        "why": gettext_lazy("The address invited belongs to the person invited, who may ask for its erasure."),
        "how_long": gettext_lazy("Until that person's erasure, or the organisation's"),
    },
]


def _iso(value):
    return value.isoformat() if value else None


def _history_authored(user) -> list[dict]:
    """Every history entry ``user`` made, whatever the model (django-simple-history)."""
    entries = []
    for model in registered_models.values():
        if not hasattr(model, "history"):  # the through table of a historied many-to-many (booking rules)
            continue
        for row in model.history.filter(history_user=user).order_by("history_date"):
            entries.append({
                "model": str(model._meta.verbose_name), "object_id": row.instance.pk if row.instance else None,
                "change": {"+": "created", "~": "changed", "-": "deleted"}.get(row.history_type, row.history_type),
                "at": _iso(row.history_date), "reason": row.history_change_reason or "",
            })
    return sorted(entries, key=lambda entry: entry["at"])


def _invitation(invitation, *, sent: bool) -> dict:
    data = {
        "organisation": invitation.organisation.name, "role": invitation.role,
        "created_at": _iso(invitation.created_at), "accepted_at": _iso(invitation.accepted_at),
        "revoked_at": _iso(invitation.revoked_at),
    }
    if sent:
        data["email"] = invitation.email
    return data


def personal_data(user) -> dict:
    """Everything Rebond stores about ``user``, as JSON-ready data."""
    verified = VerifiedEmail.objects.filter(user=user).first()
    received = (Invitation.objects.filter(email__iexact=user.email).select_related("organisation")
                if user.email else Invitation.objects.none())
    return {
        "account": {
            "username": user.username, "first_name": user.first_name, "last_name": user.last_name,
            "email": user.email, "date_joined": _iso(user.date_joined), "last_login": _iso(user.last_login),
            "has_password": user.has_usable_password(),
            "verified_email": {"email": verified.email, "how": verified.method, "at": _iso(verified.verified_at)}
            if verified else None,
        },
        "api_tokens": [
            {"created": _iso(t.created), "expiry": _iso(t.expiry)} for t in ApiToken.objects.filter(user=user)
        ],
        "memberships": [
            {"organisation": m.organisation.name, "role": m.role, "since": _iso(m.created_at)}
            for m in Membership.objects.filter(user=user).select_related("organisation")
        ],
        "invitations_sent": [
            _invitation(i, sent=True)
            for i in Invitation.objects.filter(created_by=user).select_related("organisation")
        ],
        "invitations_received": [_invitation(i, sent=False) for i in received],
        "claims_made": [
            {"id": r.pk, "item": r.item.title, "quantity": r.quantity, "status": r.status,
             "purpose": r.purpose, "created_at": _iso(r.created_at)}
            for r in Reservation.objects.filter(requested_by=user).select_related("item")
        ],
        "items_created": [
            {"id": i.pk, "title": i.title, "status": i.status, "created_at": _iso(i.created_at)}
            for i in Item.objects.filter(created_by=user)
        ],
        "pickups": [
            {"id": p.pk, "giver": p.giver.name, "window_start": _iso(p.window_start), "status": p.status}
            for p in Pickup.objects.filter(volunteers=user).select_related("giver")
        ],
        "pickups_created": [
            {"id": p.pk, "giver": p.giver.name, "window_start": _iso(p.window_start), "status": p.status}
            for p in Pickup.objects.filter(created_by=user).select_related("giver")
        ],
        "tours": [{"id": t.pk, "date": _iso(t.date)} for t in Tour.objects.filter(volunteers=user)],
        "tours_created": [{"id": t.pk, "date": _iso(t.date)} for t in Tour.objects.filter(created_by=user)],
        "transfer_records_signed": [
            {"number": r.number, "kind": r.kind, "version": r.version, "issued_at": _iso(r.issued_at),
             "reservation": r.reservation_id, "with_signature": bool(r.signature)}
            for r in TransferRecord.objects.filter(issued_by=user)
        ],
        "needs_created": [
            {"id": n.pk, "description": n.description, "created_at": _iso(n.created_at)}
            for n in Need.objects.filter(created_by=user)
        ],
        "feedback_given": [
            {"reservation": f.reservation_id, "people_helped": f.people_helped, "comment": f.comment,
             "consent_to_quote": f.consent_to_quote, "created_at": _iso(f.created_at)}
            for f in DeliveryFeedback.objects.filter(given_by=user)
        ],
        "notifications": [
            {"kind": n.kind, "created_at": _iso(n.created_at), "read_at": _iso(n.read_at)}
            for n in Notification.objects.filter(user=user)
        ],
        "settings": [
            {"language": p.language, "calendar_address": bool(p.calendar_token)}
            for p in PersonalSettings.objects.filter(user=user)
        ],
        "notification_preferences": [
            {"kind": p.kind, "in_app": p.in_app, "email": p.email, "push": p.push}
            for p in NotificationPreference.objects.filter(user=user)
        ],
        "push_subscriptions": [
            {"endpoint": p.endpoint, "device": p.user_agent, "created_at": _iso(p.created_at),
             "last_used_at": _iso(p.last_used_at)}
            for p in PushSubscription.objects.filter(user=user)
        ],
        "reminders": [
            {"pickup": r.pickup_id, "kind": r.kind, "sent_at": _iso(r.sent_at)}
            for r in Reminder.objects.filter(user=user)
        ],
        "history_authored": _history_authored(user),
        "retained_after_erasure": [{key: str(value) for key, value in entry.items()} for entry in RETAINED],
        **dict(section(user) for section in PERSONAL_DATA_SECTIONS),
        "exported_at": _iso(timezone.now()),
    }


def is_erased(user) -> bool:
    return user.username.startswith(ERASED_PREFIX) and not user.is_active


@transaction.atomic
def user_erase(*, actor, user) -> None:
    """Anonymise ``user`` for good (the person's own request, or an administrator's).

    Raises:
        PermissionDenied: ``actor`` is neither ``user`` nor a superuser.
    """
    if actor is not None and actor.pk != user.pk and not actor.is_superuser:
        raise PermissionDenied(_("Only the person or a platform administrator may erase an account."))
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    for membership in Membership.objects.filter(user=user):
        attribute(membership, actor=None, reason=_("Account erased at the person's request"))
        membership.delete()
    Notification.objects.filter(user=user).delete()
    # What reaches the person outside Rebond stops: pushes, the calendar address, reminders.
    for model in (PushSubscription, PersonalSettings, NotificationPreference, Reminder):
        model.objects.filter(user=user).delete()
    tokens_revoke_all(user=user)
    VerifiedEmail.objects.filter(user=user).delete()
    _erase_invited_address(user)
    _delete_sessions_of(user)
    user.username = f"{ERASED_PREFIX}{user.pk}"
    user.first_name = user.last_name = user.email = ""
    user.is_active = user.is_staff = user.is_superuser = False
    user.set_unusable_password()
    user.save()


def _erase_invited_address(user) -> None:
    """The person's address leaves the invitations sent to it, and their history copies."""
    if not user.email:
        return
    received = list(Invitation.objects.select_for_update().filter(email__iexact=user.email))
    for invitation in received:
        invitation.email = ""
        attribute(invitation, actor=None, reason=_("Address erased at the person's request"))
        invitation.save()
    # History rows are copies, not the model: blanking them does not rewrite what happened.
    Invitation.history.filter(id__in=[i.pk for i in received]).update(email="")


def _delete_sessions_of(user) -> None:
    # Sessions are signed blobs; decoding each is fine at this scale (a few thousand at most).
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
