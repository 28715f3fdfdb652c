"""``Idempotency-Key`` on POST actions (API.md "Idempotent actions"): a repeat within 24 hours
returns the first answer and changes nothing; the answer is written with the action or not
at all; a concurrent repeat waits for the first and gets its answer."""

import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connections, transaction
from django.test import Client
from django.urls import URLPattern
from django.utils import timezone

from api.idempotency import IdempotentMixin, purge_expired, replay_or_run
from api.models import IdempotentRequest
from api.urls import router
from exchange.models import Pickup, Reservation, TransferRecord
from inventory.models import Membership, Organisation
from tests.factories import AssociationFactory, AvailableItemFactory, OrganisationFactory, member

Role = Membership.Role


@pytest.fixture
def offered(giver):
    return AvailableItemFactory(owner=giver, quantity=3)


def _key() -> str:
    return str(uuid.uuid4())


def _collections(reservation) -> int:
    """How many times history saw the claim move to collected."""
    statuses = list(reservation.history.order_by("history_id").values_list("status", flat=True))
    return sum(1 for before, after in zip(statuses, statuses[1:], strict=False)
               if after == "collected" and before != "collected")


def _post(client, url, body, key):
    return client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


#
# Repeats
#
def test_a_repeated_collect_returns_the_first_answer_and_collects_once(api, workflow, volunteer):
    scheduled = workflow.to("scheduled")
    client, key = api(volunteer), _key()
    url = f"/api/v1/reservations/{scheduled.pk}/collect/"
    body = {"handover_code": scheduled.handover_code, "weight_kg": "14.5"}

    first = _post(client, url, body, key)
    again = _post(client, url, body, key)

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again.json()["status"] == "collected"
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    scheduled.refresh_from_db()
    assert _collections(scheduled) == 1
    assert TransferRecord.objects.filter(reservation=scheduled).count() == 1
    # Without the key, the same request is a new one, refused by the workflow.
    assert client.post(url, body, format="json").json()["code"] == "invalid_transition"


def test_a_repeated_claim_creates_one_reservation(api, volunteer, offered):
    client, key = api(volunteer), _key()
    body = {"item": offered.pk, "quantity": 1}

    first = _post(client, "/api/v1/reservations/", body, key)
    again = _post(client, "/api/v1/reservations/", body, key)

    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert Reservation.objects.filter(item=offered).count() == 1
    offered.refresh_from_db()
    assert offered.quantity_reserved == 1


def test_a_wrong_code_sent_twice_with_one_key_counts_one_wrong_try(api, workflow, volunteer):
    scheduled = workflow.to("scheduled")
    client, key = api(volunteer), _key()
    url = f"/api/v1/reservations/{scheduled.pk}/collect/"
    wrong = "000000" if scheduled.handover_code != "000000" else "111111"

    first = _post(client, url, {"handover_code": wrong}, key)
    again = _post(client, url, {"handover_code": wrong}, key)

    assert first.status_code == again.status_code == 409
    assert again.json() == first.json() and first.json()["code"] == "wrong_handover_code"
    scheduled.refresh_from_db()
    assert scheduled.handover_failures == 1 and scheduled.status == "scheduled"


def test_the_same_key_with_another_body_is_refused(api, workflow, volunteer):
    scheduled = workflow.to("scheduled")
    client, key = api(volunteer), _key()
    url = f"/api/v1/reservations/{scheduled.pk}/collect/"
    wrong = "000000" if scheduled.handover_code != "000000" else "111111"
    _post(client, url, {"handover_code": wrong}, key)

    reused = _post(client, url, {"handover_code": scheduled.handover_code}, key)
    elsewhere = _post(client, f"/api/v1/reservations/{scheduled.pk}/cancel/", {"reason": "x"}, key)

    assert reused.status_code == elsewhere.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused" and "Idempotency-Key" in reused.json()["detail"]
    scheduled.refresh_from_db()
    assert scheduled.status == "scheduled" and scheduled.handover_failures == 1


def test_the_same_body_spelt_differently_is_the_same_request(api, workflow, volunteer):
    scheduled = workflow.to("scheduled")
    client, key = api(volunteer), _key()
    url = f"/api/v1/reservations/{scheduled.pk}/collect/"
    code = scheduled.handover_code

    first = client.post(url, f'{{"handover_code": "{code}", "weight_kg": 3}}', content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY=key)
    again = client.post(url, f'{{ "weight_kg":3,"handover_code":"{code}" }}', content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY=key)

    assert first.status_code == again.status_code == 200 and again["Idempotent-Replayed"] == "true"


def test_keys_belong_to_one_person(api, workflow, volunteer, association, offered):
    colleague = member(association, Role.VOLUNTEER, username="colleague")
    key = _key()

    mine = _post(api(volunteer), "/api/v1/reservations/", {"item": offered.pk, "quantity": 1}, key)
    theirs = _post(api(colleague), "/api/v1/reservations/", {"item": offered.pk, "quantity": 1}, key)

    assert mine.status_code == theirs.status_code == 201 and mine.json()["id"] != theirs.json()["id"]
    assert "Idempotent-Replayed" not in theirs


def test_after_24_hours_a_key_starts_afresh(api, workflow, volunteer, offered):
    client, key = api(volunteer), _key()
    first = _post(client, "/api/v1/reservations/", {"item": offered.pk, "quantity": 1}, key)
    IdempotentRequest.objects.filter(key=key).update(created_at=timezone.now() - timedelta(hours=24, minutes=1))

    later = _post(client, "/api/v1/reservations/", {"item": offered.pk, "quantity": 1}, key)

    assert later.status_code == 201 and later.json()["id"] != first.json()["id"]
    assert IdempotentRequest.objects.filter(key=key).count() == 1


def test_purge_forgets_only_the_expired_answers(api, volunteer, offered):
    client = api(volunteer)
    old, fresh = _key(), _key()
    _post(client, "/api/v1/reservations/", {"item": offered.pk, "quantity": 1}, old)
    _post(client, "/api/v1/reservations/", {"item": offered.pk, "quantity": 1}, fresh)
    IdempotentRequest.objects.filter(key=old).update(created_at=timezone.now() - timedelta(days=2))

    assert purge_expired() == 1
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == [fresh]


@pytest.mark.parametrize("key", ["", " ", "x" * 256, "clé-à-accents", "two words"])
def test_a_malformed_key_is_a_400_and_changes_nothing(api, volunteer, offered, key):
    response = api(volunteer).post("/api/v1/reservations/", {"item": offered.pk, "quantity": 1}, format="json",
                                   HTTP_IDEMPOTENCY_KEY=key)

    assert response.status_code == 400 and "Idempotency-Key" in response.json()
    assert not Reservation.objects.exists() and not IdempotentRequest.objects.exists()


def test_pickup_actions_replay_too(api, workflow, coordinator, volunteer):
    scheduled = workflow.to("scheduled")
    pickup = scheduled.pickup
    client, key = api(coordinator), _key()

    first = _post(client, f"/api/v1/pickups/{pickup.pk}/missed/", {}, key)
    again = _post(client, f"/api/v1/pickups/{pickup.pk}/missed/", {}, key)

    assert first.status_code == again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert pickup.history.filter(status=Pickup.Status.MISSED).count() == 1


def test_reads_ignore_the_key(api, volunteer, offered):
    response = api(volunteer).get("/api/v1/reservations/", HTTP_IDEMPOTENCY_KEY=_key())

    assert response.status_code == 200 and not IdempotentRequest.objects.exists()


def test_session_requests_need_the_csrf_token_and_then_replay(volunteer, workflow):
    """The phone's offline queue: session cookie, CSRF token from the cookie, the key."""
    scheduled = workflow.to("scheduled")
    client = Client(enforce_csrf_checks=True)
    client.force_login(volunteer)
    client.get("/pickups/")  # the page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    url, key = f"/api/v1/reservations/{scheduled.pk}/collect/", _key()
    body = {"handover_code": scheduled.handover_code}

    refused = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)
    first = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key, HTTP_X_CSRFTOKEN=token)
    again = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key, HTTP_X_CSRFTOKEN=token)

    assert refused.status_code == 403
    assert first.status_code == again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert IdempotentRequest.objects.filter(key=key).count() == 1


#
# Every POST of the resources phones replay
#
IDEMPOTENT_PREFIXES = {"reservations", "pickups", "bookings", "tours"}


def test_every_post_route_of_reservations_pickups_bookings_and_tours_honours_the_key():
    checked = set()
    for prefix, viewset, _basename in router.registry:
        if prefix in IDEMPOTENT_PREFIXES:
            assert issubclass(viewset, IdempotentMixin), prefix
            checked.add(prefix)
    assert {"reservations", "pickups", "tours"} <= checked


def test_the_schema_documents_the_header_and_the_422(api, volunteer):
    schema = api(volunteer).get("/api/schema/", {"format": "json"}).json()
    collect = schema["paths"]["/api/v1/reservations/{id}/collect/"]["post"]

    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in collect["parameters"])
    assert "422" in collect["responses"]


def test_router_urls_are_still_the_routes_the_mixin_sees():
    # Guard for the test above: the router's viewsets are what serves the URLs.
    patterns = [p for p in router.urls if isinstance(p, URLPattern)]
    served = {p.callback.cls for p in patterns}
    assert {viewset for _prefix, viewset, _basename in router.registry} <= served


#
# Atomicity: the answer is written with the action, or not at all
#
class _Request:
    method = "POST"
    path = "/api/v1/test/"
    data = {"n": 1}

    def __init__(self, user):
        self.user = user


def test_an_action_that_fails_leaves_no_answer_and_no_change(volunteer):
    def action_then_crash():
        OrganisationFactory(name="Written by the action")
        raise RuntimeError("the server died half-way")

    with pytest.raises(RuntimeError):
        replay_or_run(request=_Request(volunteer), key="k-1", run=action_then_crash)

    assert not IdempotentRequest.objects.exists()
    assert not Organisation.objects.filter(name="Written by the action").exists()


def test_a_server_error_answer_is_not_kept_and_its_writes_are_undone(volunteer):
    from rest_framework.response import Response

    def action_then_503():
        OrganisationFactory(name="Written by the action")
        return Response({"detail": "unavailable"}, status=503)

    response = replay_or_run(request=_Request(volunteer), key="k-2", run=action_then_503)

    assert response.status_code == 503
    assert not IdempotentRequest.objects.exists()
    assert not Organisation.objects.filter(name="Written by the action").exists()


#
# Concurrent repeats (real threads, their own connections; PostgreSQL too)
#
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_concurrent_repeat_waits_for_the_first_and_gets_its_answer():
    # Given a scheduled claim and two sends of one queued collection (a phone's retry while
    # the first is still running)
    giver = OrganisationFactory()
    association = AssociationFactory()
    staff = member(giver, Role.STAFF)
    coordinator = member(association, Role.COORDINATOR)
    volunteer = member(association, Role.VOLUNTEER)
    item = AvailableItemFactory(owner=giver, quantity=2)
    from exchange import services

    reservation = services.reservation_create(actor=volunteer, item=item, requester=association, quantity=1)
    reservation = services.reservation_approve(actor=staff, reservation=reservation)
    start = timezone.now() + timedelta(hours=1)
    services.pickup_create(actor=coordinator, reservations=[reservation], window_start=start,
                           window_end=start + timedelta(hours=1), volunteers=[volunteer])
    url, key = f"/api/v1/reservations/{reservation.pk}/collect/", _key()
    body = {"handover_code": reservation.handover_code, "weight_kg": "8"}
    answers = [None, None]
    started = threading.Barrier(3)

    def send(index):
        from rest_framework.test import APIClient

        client = APIClient()
        client.force_authenticate(volunteer)
        try:
            started.wait(timeout=30)
            answers[index] = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)
        finally:
            connections.close_all()

    # When both are sent while the claim's item is locked by someone else, then released
    with transaction.atomic():
        list(type(item).objects.select_for_update().filter(pk=item.pk))
        threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        started.wait(timeout=30)
        threading.Event().wait(0.5)  # both requests are now waiting on the lock
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)

    # Then both get the one answer, and the claim was collected once
    assert [a.status_code for a in answers] == [200, 200], [a.content for a in answers]
    assert answers[0].json() == answers[1].json()
    assert sorted(a.get("Idempotent-Replayed", "") for a in answers) == ["", "true"]
    reservation.refresh_from_db()
    assert reservation.status == "collected" and _collections(reservation) == 1
    assert TransferRecord.objects.filter(reservation=reservation).count() == 1
    assert IdempotentRequest.objects.filter(key=key).count() == 1
