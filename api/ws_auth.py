"""``?token=<key>`` authentication for WebSockets (API clients have no session cookie)."""

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware

from accounts.tokens import user_for_key


class TokenQueryAuthMiddleware(BaseMiddleware):
    """Sets ``scope["user"]`` from ``?token=`` when the session did not authenticate; the token
    is checked as ``Authorization: Token`` is (hashed, expiring, renewed, bound to the password)."""

    async def __call__(self, scope, receive, send):
        user = scope.get("user")
        if user is None or not user.is_authenticated:
            keys = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
            if keys:
                token_user = await database_sync_to_async(user_for_key)(keys[0][:128])
                if token_user is not None:
                    scope = dict(scope, user=token_user)
        return await super().__call__(scope, receive, send)
