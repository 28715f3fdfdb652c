"""Sign-in lock-out: too many failed passwords for one username (or from one address) lock
further attempts for a while.

Shared by the API token endpoint and the sign-in page. State lives in Django's cache: it is
short-lived by nature, and a lost cache only forgets recent failures. The per-address limit
is generous on purpose: a school or a care home puts all its staff behind one address.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _


def _key(kind: str, value: str) -> str:
    # Hash so that any username (spaces, accents, 150 characters) makes a valid cache key.
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"lockout:{kind}:{digest}"


def _recent(key: str, now: float) -> list[float]:
    window = settings.LOCKOUT_WINDOW_SECONDS
    return [at for at in cache.get(key, []) if at > now - window]


def _limits(username: str, address: str | None) -> list[tuple[str, int]]:
    limits = [(_key("user", username or ""), settings.LOCKOUT_MAX_FAILURES_PER_USERNAME)]
    if address:
        limits.append((_key("addr", address), settings.LOCKOUT_MAX_FAILURES_PER_ADDRESS))
    return limits


def retry_after(username: str, address: str | None = None) -> int | None:
    """Seconds until another attempt is allowed, or None when not locked."""
    now = time.time()
    waits = []
    for key, limit in _limits(username, address):
        failures = _recent(key, now)
        if len(failures) >= limit:
            # Unlocks when the oldest failure that still counts leaves the window.
            oldest = sorted(failures)[-limit]
            waits.append(int(oldest + settings.LOCKOUT_WINDOW_SECONDS - now) + 1)
    return max(waits) if waits else None


def record_failure(username: str, address: str | None = None) -> None:
    now = time.time()
    for key, limit in _limits(username, address):
        failures = _recent(key, now)[-(limit - 1):] + [now] if limit > 1 else [now]
        cache.set(key, failures, settings.LOCKOUT_WINDOW_SECONDS)


def record_success(username: str) -> None:
    """A correct password clears the username's failures (not the address's)."""
    cache.delete(_key("user", username or ""))


def locked_message(wait: int) -> str:
    """What a locked-out person is told (the page and the API say the same)."""
    return _("Too many failed attempts. Try again in %(minutes)s minutes.") % {"minutes": max(1, (wait + 59) // 60)}
