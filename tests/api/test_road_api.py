"""On the road (v1.1): the push key, push subscriptions and the calendar address."""

import base64
import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client

from exchange import push
from exchange.models import PushSubscription
from tests.factories import AssociationFactory, member


def _keys() -> dict:
    point = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    enc = base64.urlsafe_b64encode
    return {"p256dh": enc(point).rstrip(b"=").decode(), "auth": enc(os.urandom(16)).rstrip(b"=").decode()}


@pytest.fixture
def person(db):
    return member(AssociationFactory(), "volunteer")


def test_push_key(api, person, settings):
    settings.REBOND_VAPID_PUBLIC_KEY = push.generate_vapid_keys()[1]
    response = api(person).get("/api/v1/push/key/")
    assert response.status_code == 200 and response.json() == {"key": settings.REBOND_VAPID_PUBLIC_KEY}
    assert api().get("/api/v1/push/key/").status_code == 401


def test_subscribe_list_and_delete(api, person, settings):
    settings.DEBUG = True
    client = api(person)
    created = client.post("/api/v1/push-subscriptions/", {"endpoint": "http://127.0.0.1:9/push/1", "keys": _keys()},
                          format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert set(body) == {"id", "endpoint", "created_at", "last_used_at"}  # the keys are never read back
    listed = client.get("/api/v1/push-subscriptions/").json()
    assert [row["id"] for row in listed["results"]] == [body["id"]]
    # Someone else neither sees nor deletes it.
    other = api(member(AssociationFactory(), "volunteer"))
    assert other.get("/api/v1/push-subscriptions/").json()["results"] == []
    assert other.delete(f"/api/v1/push-subscriptions/{body['id']}/").status_code == 404
    assert client.delete(f"/api/v1/push-subscriptions/{body['id']}/").status_code == 204
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize(("endpoint", "keys"), [
    ("https://10.0.0.8/push", None),
    ("https://169.254.169.254/push", None),
    ("http://8.8.8.8/push", None),
    ("not a url", None),
    ("https://8.8.8.8/push", {"p256dh": "short", "auth": "x"}),
    ("https://8.8.8.8/push", {"p256dh": "***", "auth": "***"}),
])
def test_refused_subscriptions_are_400(api, person, settings, endpoint, keys):
    settings.DEBUG = False
    response = api(person).post("/api/v1/push-subscriptions/", {"endpoint": endpoint, "keys": keys or _keys()},
                                format="json")
    assert response.status_code == 400, response.content
    assert not PushSubscription.objects.exists()


def test_calendar_address_is_private_and_replaceable(api, person):
    client = api(person)
    first = client.get("/api/v1/me/calendar/").json()["url"]
    assert client.get("/api/v1/me/calendar/").json()["url"] == first  # stable until replaced
    path = first.split("testserver", 1)[1]
    assert Client().get(path).status_code == 200
    replaced = client.post("/api/v1/me/calendar/").json()["url"]
    assert replaced != first
    assert Client().get(path).status_code == 404
    assert Client().get(replaced.split("testserver", 1)[1])["Content-Type"].startswith("text/calendar")
    assert api().get("/api/v1/me/calendar/").status_code == 401
