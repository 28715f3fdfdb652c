"""``?token=<key>`` authentication for WebSockets (API clients have no session cookie)."""

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from rest_framework.authtoken.models import Token


@database_sync_to_async
def _user_for_token(key: str):
    token = Token.objects.select_related("user").filter(key=key).first()
    return token.user if token and token.user.is_active else None


class TokenQueryAuthMiddleware(BaseMiddleware):
    """Sets ``scope["user"]`` from ``?token=`` when the session did not authenticate."""

    async def __call__(self, scope, receive, send):
        user = scope.get("user")
        if user is None or not user.is_authenticated:
            keys = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
            if keys:
                token_user = await _user_for_token(keys[0][:64])
                if token_user is not None:
                    scope = dict(scope, user=token_user)
        return await super().__call__(scope, receive, send)
