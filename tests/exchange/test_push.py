"""Web Push against a real receiver on loopback: the notification arrives encrypted
(aes128gcm, decrypted here with http_ece), signed with our VAPID key (the JWT checked here),
in the recipient's language; a 410 removes the subscription; the endpoint rule refuses
private addresses."""

import base64
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext

from exchange import push
from exchange.models import Notification, NotificationPreference, PersonalSettings, PushSubscription


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Receiver:
    """A push service on 127.0.0.1: keeps every POST (path, headers, body), answers ``status``."""

    def __init__(self):
        self.received, self.status = [], 201
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def vapid(settings):
    settings.DEBUG = True  # loopback http endpoints only with DEBUG
    private, public = push.generate_vapid_keys()
    settings.REBOND_VAPID_PRIVATE_KEY, settings.REBOND_VAPID_PUBLIC_KEY = private, public
    settings.REBOND_VAPID_SUBJECT = "mailto:tech@rebond.example"
    return public


def browser_keys():
    """What a browser makes when it subscribes: an EC P-256 key pair and 16 random bytes."""
    key = ec.generate_private_key(ec.SECP256R1())
    point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    auth = os.urandom(16)
    return key, b64(point), auth


def subscribe(user, receiver, name="phone"):
    key, p256dh, auth = browser_keys()
    subscription = push.subscription_save(actor=user, endpoint=f"{receiver.url}/push/{name}", p256dh=p256dh,
                                          auth=b64(auth))
    return subscription, key, auth


def check_vapid(headers, public_key: str, audience: str) -> dict:
    """RFC 8292: ``vapid t=<JWT>, k=<key>``; the JWT is ES256-signed by that key."""
    scheme, _, params = headers["authorization"].partition(" ")
    assert scheme == "vapid"
    values = dict(part.strip().split("=", 1) for part in params.split(","))
    assert values["k"] == public_key
    header_b64, claims_b64, signature_b64 = values["t"].split(".")
    assert json.loads(unb64(header_b64))["alg"] == "ES256"
    signature = unb64(signature_b64)
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    verifier = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(public_key))
    verifier.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))  # raises if forged
    claims = json.loads(unb64(claims_b64))
    assert claims["aud"] == audience and claims["sub"] == "mailto:tech@rebond.example"
    assert claims["exp"] > time.time()
    return claims


def decrypt(body: bytes, key, auth: bytes) -> dict:
    return json.loads(http_ece.decrypt(body, private_key=key, auth_secret=auth, version="aes128gcm"))


def test_a_notification_is_pushed_encrypted_and_signed(vapid, receiver, workflow, volunteer, staff,
                                                       django_capture_on_commit_callbacks):
    _subscription, key, auth = subscribe(volunteer, receiver)
    PersonalSettings.objects.create(user=volunteer, language="en")
    claim = workflow.claim()

    with django_capture_on_commit_callbacks(execute=True):
        workflow.step(claim, "approve")

    [(path, headers, body)] = receiver.received
    assert path == "/push/phone"
    assert headers["content-encoding"] == "aes128gcm" and int(headers["ttl"]) > 0
    check_vapid(headers, vapid, receiver.url)
    payload = decrypt(body, key, auth)
    assert payload == {
        "type": "claim_approved", "title": "My claim was approved",
        "body": f"Your claim on {claim.item} was approved.", "url": "/reservations/",
    }
    # The same words as the notification in the app.
    assert Notification.objects.get(user=volunteer, kind="claim_approved").message == payload["body"]
    assert PushSubscription.objects.get().last_used_at is not None


def test_each_person_gets_it_in_their_own_language(vapid, receiver, workflow, volunteer, coordinator, staff,
                                                   django_capture_on_commit_callbacks):
    _s, key, auth = subscribe(staff, receiver, "staff")  # staff chose no language: the site's, French
    with django_capture_on_commit_callbacks(execute=True):
        claim = workflow.claim()  # staff is told of the new claim
    [(_path, _headers, body)] = receiver.received
    payload = decrypt(body, key, auth)
    with translation.override("fr"):
        expected = gettext("%(requester)s claims %(quantity)s × %(item)s.") % {
            "requester": claim.requester, "quantity": 1, "item": claim.item}
        title = gettext("New claim on my item")
    assert payload["body"] == expected and payload["title"] == title
    assert "claims" not in expected  # really French, not the source text


def test_a_gone_subscription_is_deleted(vapid, receiver, volunteer, workflow, django_capture_on_commit_callbacks):
    subscribe(volunteer, receiver)
    receiver.status = 410
    with django_capture_on_commit_callbacks(execute=True):
        workflow.step(workflow.claim(), "approve")
    assert len(receiver.received) == 1
    assert not PushSubscription.objects.exists()


def test_a_server_error_keeps_the_subscription(vapid, receiver, volunteer, workflow,
                                               django_capture_on_commit_callbacks):
    subscribe(volunteer, receiver)
    receiver.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        workflow.step(workflow.claim(), "approve")
    assert len(receiver.received) == 1 and PushSubscription.objects.count() == 1


def test_a_person_may_turn_push_off_for_one_kind(vapid, receiver, volunteer, workflow,
                                                 django_capture_on_commit_callbacks):
    subscribe(volunteer, receiver)
    NotificationPreference.objects.create(user=volunteer, kind="claim_approved", push=False, email=False)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.step(workflow.claim(), "approve")
    assert receiver.received == []
    assert Notification.objects.filter(user=volunteer, kind="claim_approved").count() == 1  # still in the app


def test_nothing_is_sent_before_the_transaction_commits(vapid, receiver, volunteer, workflow,
                                                        django_capture_on_commit_callbacks):
    subscribe(volunteer, receiver)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        workflow.step(workflow.claim(), "approve")
    assert receiver.received == [] and callbacks


@pytest.mark.parametrize("endpoint", [
    "https://10.1.2.3/push", "https://192.168.1.20/push", "https://172.16.0.5/push",
    "https://169.254.169.254/latest/meta-data", "https://[fd00::1]/push", "https://[fe80::1]/push",
    "https://0.0.0.0/push", "https://224.0.0.1/push", "ftp://push.example/x", "https:///nohost",
    "https://user:secret@8.8.8.8/push",
])
def test_private_and_odd_endpoints_are_refused(settings, endpoint):
    settings.DEBUG = True
    with pytest.raises(ValidationError):
        push.check_endpoint(endpoint)


@pytest.mark.parametrize("endpoint", ["http://127.0.0.1:9/push", "https://127.0.0.1/push", "https://localhost/push",
                                      "http://8.8.8.8/push"])
def test_loopback_needs_debug_and_public_needs_https(settings, endpoint):
    settings.DEBUG = False
    with pytest.raises(ValidationError):
        push.check_endpoint(endpoint)


def test_a_public_https_endpoint_is_accepted(settings):
    settings.DEBUG = False
    push.check_endpoint("https://8.8.8.8/wpush/v2/abc")  # an address literal: no DNS needed here


def test_the_command_makes_a_key_pair_that_signs(vapid):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("create_vapid_keys", stdout=out)
    values = dict(line.split("=", 1) for line in out.getvalue().split())
    private, public = values["REBOND_VAPID_PRIVATE_KEY"], values["REBOND_VAPID_PUBLIC_KEY"]
    assert len(unb64(private)) == 32 and unb64(public)[0] == 4 and len(unb64(public)) == 65
    key = ec.derive_private_key(int.from_bytes(unb64(private), "big"), ec.SECP256R1())
    point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    assert b64(point) == public


def test_erasure_removes_what_reaches_the_person(vapid, receiver, volunteer):
    from exchange import calendar, privacy

    subscribe(volunteer, receiver)
    token = calendar.calendar_token(volunteer)
    assert privacy.personal_data(volunteer)["push_subscriptions"][0]["endpoint"].startswith(receiver.url)
    privacy.user_erase(actor=volunteer, user=volunteer)
    assert not PushSubscription.objects.exists() and calendar.user_for_token(token) is None
