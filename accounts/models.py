"""What Rebond keeps about signing in: hashed API tokens, and the e-mail address each account
proved it receives (which a ProConnect identity may then sign in)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from knox.models import _UNSET, AbstractAuthToken, AuthTokenManager


def password_fingerprint(user) -> str:
    """An HMAC of the account's password hash (Django's session hash): it changes whenever the
    password changes or is reset, by any path (pages, admin, ``changepassword``, erasure)."""
    return user.get_session_auth_hash()


class ApiTokenManager(AuthTokenManager):
    def create(self, user, expiry=_UNSET, prefix=None, **kwargs):
        """``(token, key)``: the row (only the key's SHA-512 is stored) and the key, shown once."""
        kwargs.setdefault("password_fingerprint", password_fingerprint(user))
        return super().create(user, expiry=expiry, prefix=prefix, **kwargs)


class ApiToken(AbstractAuthToken):
    """An API token (django-rest-knox): stored hashed, expiring, renewed on use, and bound to
    the password it was issued under."""

    password_fingerprint = models.CharField(_("password fingerprint"), max_length=128, editable=False)

    objects = ApiTokenManager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")


class VerifiedEmail(models.Model):
    """The address an account proved it receives, and how. Only this address signs the account
    in with ProConnect: an address typed by hand (the admin, a typo) proves nothing."""

    class Method(models.TextChoices):
        INVITATION = "invitation", _("invitation link received")
        PASSWORD_RESET = "password_reset", _("password reset link received")
        PROCONNECT = "proconnect", _("ProConnect identity")
        ADMIN = "admin", _("confirmed by an administrator")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="verified_email", verbose_name=_("user"),
    )
    email = models.EmailField(_("e-mail"))
    method = models.CharField(_("how"), max_length=20, choices=Method.choices)
    verified_at = models.DateTimeField(_("verified"))

    class Meta:
        verbose_name = _("verified e-mail address")
        verbose_name_plural = _("verified e-mail addresses")

    def __str__(self) -> str:
        return self.email
