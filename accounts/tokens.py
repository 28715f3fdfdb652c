"""API tokens: ``Authorization: Token <key>`` and ``/ws/events/?token=<key>``.

django-rest-knox stores only a SHA-512 of each key; a token expires ``REST_KNOX["TOKEN_TTL"]``
after its last use (renewed at most once a minute, never beyond ``AUTO_REFRESH_MAX_TTL`` after
it was issued). On top of knox, a token is bound to the password it was issued under
(``ApiToken.password_fingerprint``): a password change or reset, by any path, ends them all.
"""

import binascii

from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.signals import token_expired
from rest_framework import exceptions

from .models import ApiToken, password_fingerprint


def token_issue(*, user) -> tuple[ApiToken, str]:
    """A new token for ``user``: the row and the key (shown once, never stored). The user's
    expired tokens are deleted at the same time (see ``TokenAuthentication._cleanup_token``)."""
    ApiToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    return ApiToken.objects.create(user=user)


def tokens_revoke_all(*, user) -> int:
    """End every token of ``user`` (password changed or reset, account erased)."""
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return deleted


class TokenAuthentication(KnoxTokenAuthentication):
    """knox's authentication, refusing tokens issued under another password."""

    def authenticate_credentials(self, token: bytes):
        try:
            token.decode("ascii")
        except (UnicodeDecodeError, AttributeError, binascii.Error):
            # knox decodes as UTF-8 and would fail on other bytes: a bad key is a 401, not a 500.
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        return super().authenticate_credentials(token)

    def _cleanup_token(self, auth_token) -> bool:
        # knox reads all the user's tokens on every request to delete the expired ones: one
        # more query for each API call. Here a request checks its own token only; the others
        # go when the user is issued a new one (token_issue).
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=auth_token.user.get_username(), source="auth_token")
            return True
        return False

    def validate_user(self, auth_token):
        user, auth_token = super().validate_user(auth_token)
        if not constant_time_compare(auth_token.password_fingerprint, password_fingerprint(user)):
            auth_token.delete()
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        return user, auth_token


def user_for_key(key: str):
    """The active user of a token key, or None (the WebSocket's ``?token=``)."""
    try:
        user, _ = TokenAuthentication().authenticate_credentials(key.encode("utf-8", "replace"))
    except exceptions.AuthenticationFailed:
        return None
    return user
