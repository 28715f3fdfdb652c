"""Web Push: subscriptions, the endpoint rule, and sending (RFC 8030, aes128gcm RFC 8291,
VAPID RFC 8292 through pywebpush).

A push endpoint is a URL our server calls, chosen by whoever subscribes: it must be
``https`` on a public address, so a subscription can never make the server reach into its
own network (SSRF). The host is resolved and every address it resolves to must be global;
``http`` on a loopback address is accepted only with DEBUG (the tests' receiver). The rule is
checked when subscribing and again before each send (an address may change), and the
request never follows redirects.
"""

import ipaddress
import json
import logging
import socket
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import PushSubscription

logger = logging.getLogger(__name__)

GONE = (404, 410)  # the push service says this subscription no longer exists
MAX_PAYLOAD = 3000  # push services accept about 4 KB once encrypted


def public_key() -> str:
    return settings.REBOND_VAPID_PUBLIC_KEY


def is_configured() -> bool:
    return bool(settings.REBOND_VAPID_PRIVATE_KEY and settings.REBOND_VAPID_PUBLIC_KEY)


def _addresses(host: str, port: int) -> list:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as error:  # unknown host, or not a host name at all
        raise ValidationError(_("The push service's address cannot be found.")) from error
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def check_endpoint(endpoint: str) -> None:
    """Refuse an endpoint the server must not call.

    Raises:
        ValidationError: not https, no host, or a host resolving to a private, link-local,
            loopback (without DEBUG), reserved or multicast address.
    """
    try:
        parts = urlsplit(endpoint)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise ValidationError(_("This is not a push service address.")) from error
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.username or parts.password:
        raise ValidationError(_("This is not a push service address."))
    addresses = _addresses(parts.hostname, port)
    loopback_allowed = settings.DEBUG and all(address.is_loopback for address in addresses)
    if parts.scheme == "http" and not loopback_allowed:
        raise ValidationError(_("A push service address must use https."))
    if not loopback_allowed and not all(address.is_global and not address.is_multicast for address in addresses):
        raise ValidationError(_("A push service address must be on the public internet."))


@transaction.atomic
def subscription_save(*, actor, endpoint: str, p256dh: str, auth: str, user_agent: str = "") -> PushSubscription:
    """Keep ``actor``'s subscription (an endpoint already known moves to ``actor``: a
    browser holds one subscription, whoever signs in on it).

    Raises:
        ValidationError: the endpoint is refused (``check_endpoint``) or the keys are not
            a P-256 public key and a 16-byte secret in base64url.
    """
    check_endpoint(endpoint)
    _check_keys(p256dh, auth)
    subscription, _created = PushSubscription.objects.update_or_create(
        endpoint=endpoint, defaults={"user": actor, "p256dh": p256dh, "auth": auth, "user_agent": user_agent[:200]},
    )
    return subscription


def _b64(value: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _check_keys(p256dh: str, auth: str) -> None:
    try:
        key, secret = _b64(p256dh), _b64(auth)
    except (ValueError, TypeError) as error:
        raise ValidationError({"keys": _("The subscription's keys are not base64url.")}) from error
    if len(key) != 65 or key[0] != 4 or len(secret) != 16:
        raise ValidationError({"keys": _("The subscription's keys are not a P-256 key and a 16-byte secret.")})


class _NoRedirects(requests.Session):
    def post(self, url, **kwargs):
        return super().post(url, allow_redirects=False, **kwargs)


def send(subscription: PushSubscription, payload: dict) -> bool:
    """Encrypt and POST ``payload`` (JSON) to one subscription; True when the push service
    accepted it. A 404 or 410 deletes the subscription; other failures are logged."""
    from pywebpush import WebPushException, webpush

    try:
        check_endpoint(subscription.endpoint)
    except ValidationError:
        logger.warning("push endpoint of subscription %s refused; deleted", subscription.pk)
        subscription.delete()
        return False
    data = json.dumps(payload, ensure_ascii=False)[:MAX_PAYLOAD]
    try:
        webpush(
            subscription_info={"endpoint": subscription.endpoint,
                               "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}},
            data=data, vapid_private_key=settings.REBOND_VAPID_PRIVATE_KEY,
            vapid_claims={"sub": settings.REBOND_VAPID_SUBJECT}, ttl=24 * 3600,
            timeout=settings.REBOND_PUSH_TIMEOUT, requests_session=_NoRedirects(),
        )
    except WebPushException as error:
        if error.status_code in GONE:
            subscription.delete()
        else:
            logger.warning("push to subscription %s failed: %s", subscription.pk, error.status_code)
        return False
    except requests.RequestException as error:
        logger.warning("push to subscription %s failed: %s", subscription.pk, error)
        return False
    PushSubscription.objects.filter(pk=subscription.pk).update(last_used_at=timezone.now())
    return True


def push_to_users(messages: list[tuple[int, dict]]) -> int:
    """Send each ``(user_id, payload)`` to every subscription of that user; the count sent."""
    if not is_configured() or not messages:
        return 0
    by_user: dict[int, list[PushSubscription]] = {}
    for subscription in PushSubscription.objects.filter(user_id__in={user_id for user_id, _p in messages}):
        by_user.setdefault(subscription.user_id, []).append(subscription)
    return sum(send(subscription, payload)
               for user_id, payload in messages for subscription in by_user.get(user_id, []))


def generate_vapid_keys() -> tuple[str, str]:
    """A new VAPID key pair as (private, public): base64url of the raw P-256 scalar and of
    the uncompressed public point, as the settings and browsers' ``applicationServerKey`` take."""
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    raw = key.private_numbers().private_value.to_bytes(32, "big")
    point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    return b64(raw), b64(point)
