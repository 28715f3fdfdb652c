"""Personal data (GDPR): what Rebond holds about a person, and erasure by anonymisation.

Erasure keeps every reservation, history row and impact record — the département's figures
must not change — but leaves nothing that names the person: the account row stays (history
points at it) with an anonymous username, no name, no e-mail and no usable password, and
the person's memberships, sessions, API tokens and notifications are removed.
"""

from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from inventory.history import attribute
from inventory.models import Item, Membership

from .models import Need, Notification, Pickup, Reservation, Tour

ERASED_PREFIX = "erased-"

# More of a person's data held by other apps: ``section(user) -> (key, rows)``, registered in
# their ``AppConfig.ready()`` (the pooling app's bookings), so this module imports none of them.
PERSONAL_DATA_SECTIONS: list = []


def _iso(value):
    return value.isoformat() if value else None


def personal_data(user) -> dict:
    """Everything Rebond stores about ``user``, as JSON-ready data."""
    return {
        "account": {
            "username": user.username, "first_name": user.first_name, "last_name": user.last_name,
            "email": user.email, "date_joined": _iso(user.date_joined), "last_login": _iso(user.last_login),
        },
        "memberships": [
            {"organisation": m.organisation.name, "role": m.role, "since": _iso(m.created_at)}
            for m in Membership.objects.filter(user=user).select_related("organisation")
        ],
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
        "tours": [{"id": t.pk, "date": _iso(t.date)} for t in Tour.objects.filter(volunteers=user)],
        "needs_created": [
            {"id": n.pk, "description": n.description, "created_at": _iso(n.created_at)}
            for n in Need.objects.filter(created_by=user)
        ],
        "notifications": [
            {"kind": n.kind, "created_at": _iso(n.created_at), "read_at": _iso(n.read_at)}
            for n in Notification.objects.filter(user=user)
        ],
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
    Token.objects.filter(user=user).delete()
    _delete_sessions_of(user)
    user.username = f"{ERASED_PREFIX}{user.pk}"
    user.first_name = user.last_name = user.email = ""
    user.is_active = user.is_staff = user.is_superuser = False
    user.set_unusable_password()
    user.save()


def _delete_sessions_of(user) -> None:
    # Sessions are signed blobs; decoding each is fine at this scale (a few thousand at most).
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
