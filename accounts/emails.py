"""Which e-mail address an account proved it receives.

An address is verified when a message sent to it came back: an invitation link opened, a
password reset link followed, or a ProConnect identity (the State's identity providers verify
addresses). Changing ``User.email`` makes the account unverified again: the stored address no
longer matches.
"""

from django.contrib.auth import get_user_model
from django.utils import timezone

from .models import VerifiedEmail

Method = VerifiedEmail.Method


def email_verify(*, user, method: str) -> VerifiedEmail | None:
    """Record that ``user`` receives mail at its current address (nothing without one)."""
    if not user.email:
        return None
    verified, _ = VerifiedEmail.objects.update_or_create(
        user=user, defaults={"email": user.email.lower(), "method": method, "verified_at": timezone.now()},
    )
    return verified


def has_verified_email(user) -> bool:
    verified = VerifiedEmail.objects.filter(user=user).first()
    return bool(verified and user.email and verified.email == user.email.lower())


def accounts_with_email(email: str):
    """Active accounts whose address is ``email`` (whatever its case)."""
    return get_user_model().objects.filter(email__iexact=email.strip(), is_active=True)


def verified_accounts(email: str):
    """Active accounts that proved they receive mail at ``email``."""
    return accounts_with_email(email).filter(verified_email__email=email.strip().lower())
