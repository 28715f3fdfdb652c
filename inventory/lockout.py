"""Sign-in lock-out: the one mechanism of the sign-in page, ``/admin/login/`` and the API token
endpoint.

Each attempt is counted *before* its password is checked, with atomic cache operations
(``cache.add`` then ``cache.incr``), so that concurrent guesses cannot slip past the count:
whatever the concurrency, no more than the limit of passwords is ever checked in a window.
An attempt beyond a limit locks that scope for ``LOCKOUT_WINDOW_SECONDS``; a locked scope
answers 429 with ``Retry-After`` without checking the password (even the right one).

Scopes, for a client that never signed in to the account from this browser (untrusted):
- (username, address): ``LOCKOUT_MAX_FAILURES_PER_USERNAME_AND_ADDRESS`` (10);
- username, from any address: ``LOCKOUT_MAX_FAILURES_PER_USERNAME`` (15, higher: one
  username under attack from many addresses is locked within 15 tries);
- address, whatever the username: ``LOCKOUT_MAX_FAILURES_PER_ADDRESS`` (generous: a school
  or a care home puts all its staff behind one address).

A successful sign-in leaves a signed device cookie (OWASP "device cookies"): from then on,
that browser's attempts for that account count on the device alone
(``LOCKOUT_MAX_FAILURES_PER_DEVICE``), so the person still signs in while someone else's
guesses lock the username for everyone else. A locked device is untrusted again.

State lives in Django's cache: short-lived by nature; with several server processes they
must share one cache (``DJANGO_CACHE_URL``) for the counts to add up.
"""

import hashlib
import math
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.utils.translation import gettext as _

DEVICE_COOKIE = "rebond_device"
DEVICE_SALT = "rebond.lockout.device"
DEVICES_PER_BROWSER = 5  # a shared computer (a school office) keeps several people's devices


def _digest(value: str) -> str:
    # Hashed so that any username (spaces, accents, 150 characters) makes a valid cache key,
    # and the device cookie does not carry the username in clear.
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Attempt:
    """One sign-in attempt: who it is for, from where, and the device it proved (if any)."""

    username: str
    address: str | None
    device: str | None = None  # the nonce of this browser's device cookie for this username
    known_devices: tuple[tuple[str, str], ...] = ()  # the browser's cookie: (user digest, nonce)

    @classmethod
    def of(cls, request, username: str) -> "Attempt":
        username = username if isinstance(username, str) else ""
        entries = _device_entries(request)
        return cls(
            username=username, address=request.META.get("REMOTE_ADDR"), device=entries.get(_digest(username)),
            known_devices=tuple(entries.items()),
        )

    @property
    def scopes(self) -> list[tuple[str, str, int]]:
        """``(kind, key part, limit)`` that this attempt counts in."""
        if self.device and not _locked_until(_key("lock", "device", self.device)):
            return [("device", self.device, settings.LOCKOUT_MAX_FAILURES_PER_DEVICE)]
        user = _digest(self.username)
        scopes = [("user", user, settings.LOCKOUT_MAX_FAILURES_PER_USERNAME)]
        if self.address:
            scopes.append(("pair", f"{user}:{_digest(self.address)}",
                           settings.LOCKOUT_MAX_FAILURES_PER_USERNAME_AND_ADDRESS))
            scopes.append(("addr", _digest(self.address), settings.LOCKOUT_MAX_FAILURES_PER_ADDRESS))
        return scopes


def _key(what: str, kind: str, part: str) -> str:
    return f"lockout:{what}:{kind}:{part}"


def _locked_until(lock_key: str) -> float | None:
    until = cache.get(lock_key)
    return until if until and until > time.time() else None


def _bump(key: str) -> int:
    """Add one to a counter that lives one window from its first count; atomic."""
    window = settings.LOCKOUT_WINDOW_SECONDS
    while True:
        cache.add(key, 0, timeout=window)
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr: start it again
            continue


def _drop(key: str) -> None:
    try:
        if cache.decr(key) <= 0:
            cache.delete(key)
    except ValueError:  # already gone
        pass


def _wait(scopes) -> int | None:
    untils = [_locked_until(_key("lock", kind, part)) for kind, part, _limit in scopes]
    untils = [until for until in untils if until]
    return math.ceil(max(untils) - time.time()) if untils else None


def begin(attempt: Attempt) -> int | None:
    """Count ``attempt`` as a failure until it succeeds; the seconds to wait when it may not be
    tried (locked), in which case its password must not be checked."""
    if not attempt.username:
        return None
    scopes = attempt.scopes
    wait = _wait(scopes)
    if wait is not None:
        return wait
    window = settings.LOCKOUT_WINDOW_SECONDS
    over = False
    for kind, part, limit in scopes:
        if _bump(_key("count", kind, part)) > limit:
            cache.add(_key("lock", kind, part), time.time() + window, timeout=window)
            over = True
    # Only this attempt's own counts decide: a lock that a concurrent attempt has just set does
    # not refuse an attempt that was counted within the limit.
    return _wait(scopes) if over else None


def record_success(attempt: Attempt, response=None) -> None:
    """The password was right: this attempt no longer counts, the (username, address) and
    device counts start again, and the browser is remembered for this account.

    The username's own count (from any address) is not cleared: otherwise each of the
    person's sign-ins would hand a guesser a fresh set of tries."""
    for kind, part, _limit in attempt.scopes:
        key = _key("count", kind, part)
        if kind in ("pair", "device"):
            cache.delete(key)
        else:
            _drop(key)
    if response is not None:
        remember_device(attempt, response)


def failure_count(kind: str, *parts: str) -> int:
    """The current count of a scope (``"user", username`` or ``"pair", username, address``…)."""
    if kind == "pair":
        part = f"{_digest(parts[0])}:{_digest(parts[1])}"
    elif kind == "device":
        part = parts[0]
    else:
        part = _digest(parts[0])
    return int(cache.get(_key("count", kind, part)) or 0)


#
# Device cookies
#
def _device_entries(request) -> dict[str, str]:
    value = request.COOKIES.get(DEVICE_COOKIE)
    if not value:
        return {}
    max_age = settings.LOCKOUT_DEVICE_COOKIE_DAYS * 86400
    try:
        entries = signing.loads(value, salt=DEVICE_SALT, max_age=max_age)
    except signing.BadSignature:
        return {}
    if not isinstance(entries, list):
        return {}
    return {user: nonce for user, nonce in entries[:DEVICES_PER_BROWSER] if isinstance(nonce, str)}


def remember_device(attempt: Attempt, response) -> None:
    """Give the browser a fresh device cookie for this account (kept with up to four others)."""
    kept = dict(attempt.known_devices)
    user = _digest(attempt.username)
    kept.pop(user, None)
    entries = [[user, secrets.token_urlsafe(16)], *[[u, n] for u, n in kept.items()]][:DEVICES_PER_BROWSER]
    response.set_cookie(
        DEVICE_COOKIE, signing.dumps(entries, salt=DEVICE_SALT, compress=True),
        max_age=settings.LOCKOUT_DEVICE_COOKIE_DAYS * 86400, httponly=True,
        secure=settings.SESSION_COOKIE_SECURE, samesite="Lax",
    )


def locked_message(wait: int) -> str:
    """What a locked-out person is told (the pages and the API say the same)."""
    return _("Too many failed attempts. Try again in %(minutes)s minutes.") % {"minutes": max(1, (wait + 59) // 60)}
