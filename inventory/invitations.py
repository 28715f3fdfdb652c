"""Invitations: people join an organisation through an e-mailed link that works once.

Managers of the département invite to any organisation with any role; an organisation's staff
invite to their own organisation as staff or volunteers. The token is only e-mailed: the
database keeps its SHA-256, so a leaked backup opens no account. Links expire after
``REBOND_INVITATION_DAYS`` (7 by default).

A link is not a password: whoever already has an account signs in first (password or
ProConnect), then accepts (``invitation_accept``); only a person without one gets an account
from the link (``invitation_accept_new_account``, with the password they choose), or from a
ProConnect identity whose address was invited (``invitation_accept_proconnect``). Accepting
proves the address receives mail (``accounts.emails``).
"""

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.emails import Method, email_verify

from . import permissions
from .errors import WorkflowError
from .history import attribute
from .models import Invitation, Membership, Organisation

logger = logging.getLogger(__name__)
Role = Membership.Role


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _expiry():
    return timezone.now() + timedelta(days=int(getattr(settings, "REBOND_INVITATION_DAYS", 7)))


def can_manage_invitation(user, invitation: Invitation) -> bool:
    return bool(permissions.invitable_roles(user, invitation.organisation))


def _send(invitation: Invitation, token: str, base_url: str) -> None:
    link = base_url.rstrip("/") + reverse("invitation_accept", args=[token])
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Rebond: join %(organisation)s") % {"organisation": invitation.organisation}
        body = render_to_string("inventory/email/invitation.txt", {"invitation": invitation, "link": link})

    def send():
        try:
            send_mail(subject, body, None, [invitation.email])
        except Exception:  # the invitation stays listed and can be re-sent
            logger.exception("could not e-mail invitation %s", invitation.pk)

    transaction.on_commit(send, robust=True)


@transaction.atomic
def invitation_create(*, actor, organisation: Organisation, email: str, role: str, base_url: str) -> Invitation:
    """Invite ``email`` to ``organisation`` as ``role`` and e-mail the link (after commit).

    ``base_url`` is the site's address (``https://…/``) the link starts with.

    Raises:
        PermissionDenied: ``actor`` may not invite to this organisation with this role.
        WorkflowError: ``already_member`` or ``already_invited``.
    """
    if role not in permissions.invitable_roles(actor, organisation):
        raise PermissionDenied(_("You may not invite people to this organisation with this role."))
    email = get_user_model().objects.normalize_email(email.strip()).lower()
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise WorkflowError("already_member", _("This person is already a member of the organisation."))
    pending = Invitation.objects.filter(
        organisation=organisation, email__iexact=email, accepted_at=None, revoked_at=None,
        expires_at__gt=timezone.now(),
    )
    if pending.exists():
        raise WorkflowError("already_invited", _("This person already has a pending invitation: re-send it."))
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        email=email, organisation=organisation, role=role, token_hash=_hash(token), created_by=actor,
        expires_at=_expiry(),
    )
    attribute(invitation, actor=actor, reason=_("Invitation sent"))
    invitation.save()
    _send(invitation, token, base_url)
    return invitation


def _locked(invitation: Invitation) -> Invitation:
    return Invitation.objects.select_for_update().select_related("organisation").get(pk=invitation.pk)


def _locked_pending(actor, invitation: Invitation) -> Invitation:
    """The locked invitation, if ``actor`` may manage it and it is still pending."""
    invitation = _locked(invitation)
    if not can_manage_invitation(actor, invitation):
        raise PermissionDenied(_("You may not manage this organisation's invitations."))
    if invitation.accepted_at or invitation.revoked_at:
        raise WorkflowError("not_pending", _("This invitation was already used or revoked."))
    return invitation


@transaction.atomic
def invitation_resend(*, actor, invitation: Invitation, base_url: str) -> Invitation:
    """E-mail a fresh link (the old one stops working) and restart the expiry delay.

    Raises:
        PermissionDenied: ``actor`` may not manage this organisation's invitations.
        WorkflowError: ``not_pending`` when the invitation was accepted or revoked.
    """
    invitation = _locked_pending(actor, invitation)
    token = secrets.token_urlsafe(32)
    invitation.token_hash, invitation.expires_at = _hash(token), _expiry()
    attribute(invitation, actor=actor, reason=_("Invitation re-sent"))
    invitation.save()
    _send(invitation, token, base_url)
    return invitation


@transaction.atomic
def invitation_revoke(*, actor, invitation: Invitation) -> Invitation:
    """Make the link stop working.

    Raises:
        PermissionDenied: ``actor`` may not manage this organisation's invitations.
        WorkflowError: ``not_pending`` when the invitation was accepted or revoked.
    """
    invitation = _locked_pending(actor, invitation)
    invitation.revoked_at = timezone.now()
    attribute(invitation, actor=actor, reason=_("Invitation revoked"))
    invitation.save()
    return invitation


def invitation_for_token(token: str) -> Invitation | None:
    """The pending invitation of a link, or None (unknown, used, revoked or expired)."""
    invitation = Invitation.objects.select_related("organisation").filter(token_hash=_hash(token)).first()
    return invitation if invitation is not None and invitation.is_pending else None


def existing_user(invitation: Invitation):
    return get_user_model().objects.filter(email__iexact=invitation.email, is_active=True).order_by("pk").first()


def is_invitee(user, invitation: Invitation) -> bool:
    """Whether ``user`` (signed in) is the person invited: its e-mail is the invitation's."""
    return bool(user and user.is_authenticated and user.email and user.email.lower() == invitation.email.lower())


def _locked_for_use(token: str) -> Invitation:
    found = invitation_for_token(token)
    invitation = _locked(found) if found else None
    if invitation is None or not invitation.is_pending:
        raise WorkflowError("invalid_invitation", _("This invitation link is no longer valid. Ask for a new one."))
    return invitation


def _join(invitation: Invitation, user) -> None:
    """Add ``user`` to the invitation's organisation (unless already a member); the link is used."""
    if not Membership.objects.filter(user=user, organisation=invitation.organisation).exists():
        membership = Membership(user=user, organisation=invitation.organisation, role=invitation.role)
        attribute(membership, actor=user, reason=_("Joined by invitation"))
        membership.save()
    invitation.accepted_at = timezone.now()
    attribute(invitation, actor=user, reason=_("Invitation accepted"))
    invitation.save()
    if user.email and user.email.lower() == invitation.email.lower():
        email_verify(user=user, method=Method.INVITATION)  # the link reached this address


@transaction.atomic
def invitation_accept(*, actor, token: str) -> Invitation:
    """A person who already has an account, signed in (with its password), accepts: the
    membership is added to that account.

    Raises:
        WorkflowError: ``invalid_invitation`` when the link is unknown, used, revoked or expired.
        PermissionDenied: ``actor`` is not signed in as the account of the invited e-mail.
    """
    invitation = _locked_for_use(token)
    if not is_invitee(actor, invitation):
        raise PermissionDenied(_("This invitation is for another e-mail address."))
    _join(invitation, actor)
    return invitation


@transaction.atomic
def invitation_accept_new_account(*, token: str, password: str, first_name: str = "", last_name: str = ""):
    """A person without an account accepts: the account is created with ``password`` and
    the membership added; returns the new user (for the page to sign it in).

    An invitation never signs anyone in to an existing account: whoever has one signs in
    first, then accepts (``invitation_accept``).

    Raises:
        WorkflowError: ``invalid_invitation`` when the link is unknown, used, revoked or expired;
            ``sign_in_first`` when an account already has the invited e-mail.
        ValidationError: the password fails the validators.
    """
    invitation = _locked_for_use(token)
    if existing_user(invitation) is not None:
        raise WorkflowError("sign_in_first", _("You already have an account: sign in first, then accept."))
    user = get_user_model()(
        username=_free_username(invitation.email), email=invitation.email,
        first_name=first_name.strip()[:150], last_name=last_name.strip()[:150],
    )
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.save()
    _join(invitation, user)
    return user


def pending_for_email(email: str):
    return Invitation.objects.select_related("organisation").filter(
        email__iexact=email.strip(), accepted_at=None, revoked_at=None, expires_at__gt=timezone.now(),
    )


@transaction.atomic
def invitation_accept_proconnect(*, email: str, first_name: str = "", last_name: str = ""):
    """A ProConnect identity (its address verified by the State's identity providers) with no
    Rebond account accepts the invitations pending for its address: the account is created,
    without a password (it signs in with ProConnect), and joins each inviting organisation.
    Returns ``(user, invitations)``.

    Raises:
        WorkflowError: ``no_invitation`` when no invitation to ``email`` is pending;
            ``sign_in_first`` when an account already has this address.
    """
    pending = list(pending_for_email(email).select_for_update(of=("self",)).order_by("created_at"))
    if not pending:
        raise WorkflowError("no_invitation", _("No invitation is pending for this e-mail address."))
    if existing_user(pending[0]) is not None:
        raise WorkflowError("sign_in_first", _("You already have an account: sign in first, then accept."))
    email = pending[0].email.lower()
    user = get_user_model()(
        username=_free_username(email), email=email, first_name=first_name[:150], last_name=last_name[:150],
    )
    user.set_unusable_password()
    user.save()
    for invitation in pending:
        _join(invitation, user)
    email_verify(user=user, method=Method.PROCONNECT)
    return user, pending


def _free_username(email: str) -> str:
    """The e-mail itself, or a numbered variant when taken (usernames are 150 characters)."""
    User = get_user_model()
    base = email[:140]
    candidate, number = base, 1
    while User.objects.filter(username=candidate).exists():
        number += 1
        candidate = f"{base}-{number}"
    return candidate
