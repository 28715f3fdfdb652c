"""Exchange endpoints beyond the journey: defaults, visibility of codes, query counts, actions."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from exchange import services
from inventory.models import Category, Item, Membership, Photo
from tests.factories import AssociationFactory, ItemFactory, OrganisationFactory, member

Role = Membership.Role


def _available(owner, quantity=5):
    item = ItemFactory(owner=owner, quantity=quantity, status=Item.Status.AVAILABLE)
    Photo.objects.create(item=item, image="photos/aa/a.jpg", thumbnail="photos/aa/a_t.webp", width=4, height=4)
    return item


def test_requester_defaults_to_the_only_claiming_membership(api, volunteer, association, giver):
    item = _available(giver)

    response = api(volunteer).post("/api/v1/reservations/", {"item": item.pk, "quantity": 2}, format="json")

    assert response.status_code == 201
    assert response.json()["requester"] == association.pk and response.json()["mode"] == "donation"


def test_requester_required_with_several_claiming_memberships(api, volunteer, giver):
    Membership.objects.create(user=volunteer, organisation=AssociationFactory(), role=Role.VOLUNTEER)
    item = _available(giver)

    response = api(volunteer).post("/api/v1/reservations/", {"item": item.pk, "quantity": 1}, format="json")

    assert response.status_code == 400 and "requester" in response.json()


def test_claiming_an_invisible_draft_is_a_bad_id_not_a_conflict(api, volunteer, giver):
    draft = ItemFactory(owner=giver)

    response = api(volunteer).post("/api/v1/reservations/", {"item": draft.pk, "quantity": 1}, format="json")

    assert response.status_code == 400 and "item" in response.json()


def test_too_many_units_is_409(api, volunteer, giver):
    item = _available(giver, quantity=2)

    response = api(volunteer).post("/api/v1/reservations/", {"item": item.pk, "quantity": 3}, format="json")

    assert response.status_code == 409 and response.json()["code"] == "not_enough_units"


def test_loan_without_return_date_is_409(api, volunteer, giver):
    item = _available(giver)

    response = api(volunteer).post("/api/v1/reservations/", {"item": item.pk, "quantity": 1, "mode": "loan"},
                                   format="json")

    assert response.status_code == 409 and response.json()["code"] == "return_date_required"


def test_handover_code_only_for_the_givers_staff(api, staff, volunteer, coordinator, viewer, giver, association):
    reservation = services.reservation_create(actor=volunteer, item=_available(giver), requester=association,
                                              quantity=1)
    reservation = services.reservation_approve(actor=staff, reservation=reservation)
    url = f"/api/v1/reservations/{reservation.pk}/"

    assert api(staff).get(url).json()["handover_code"] == reservation.handover_code
    for user in (volunteer, coordinator, viewer):
        assert api(user).get(url).json()["handover_code"] is None
        assert reservation.handover_code not in api(user).get("/api/v1/reservations/").content.decode()


def test_reservation_list_queries_do_not_grow_with_claims_on_one_giver(api, staff, volunteer, giver, association):
    item = _available(giver, quantity=40)
    services.reservation_create(actor=volunteer, item=item, requester=association, quantity=1)
    client = api(staff)
    with CaptureQueriesContext(connection) as one:
        client.get("/api/v1/reservations/")
    for _ in range(20):
        services.reservation_create(actor=volunteer, item=item, requester=association, quantity=1)

    with CaptureQueriesContext(connection) as many:
        assert client.get("/api/v1/reservations/").json()["count"] == 21

    assert len(many) == len(one)


def test_pickup_and_tour_lists_have_constant_queries(api, staff, volunteer, coordinator, giver, association):
    client = api(coordinator)

    def plan(n):
        for _ in range(n):
            reservation = services.reservation_create(actor=volunteer, item=_available(giver), requester=association,
                                                      quantity=1)
            services.reservation_approve(actor=staff, reservation=reservation)
            start = timezone.now() + timedelta(days=1)
            pickup = services.pickup_create(actor=coordinator, reservations=[reservation], window_start=start,
                                            window_end=start + timedelta(hours=1), volunteers=[volunteer])
            services.tour_create(actor=coordinator, organisation=association, date=timezone.localdate(),
                                 capacity_kg=100, capacity_m3=5, pickups=[pickup])

    plan(1)
    with CaptureQueriesContext(connection) as one:
        client.get("/api/v1/pickups/"), client.get("/api/v1/tours/")
    plan(5)
    with CaptureQueriesContext(connection) as six:
        pickups, tours = client.get("/api/v1/pickups/").json(), client.get("/api/v1/tours/").json()

    assert pickups["count"] == 6 and tours["count"] == 6
    assert pickups["results"][0]["volunteers"] == [volunteer.pk] and len(tours["results"][0]["pickups"]) == 1
    assert len(six) == len(one)


def test_tour_optimise_returns_stops_with_distances(api, staff, volunteer, coordinator, association):
    from inventory.models import Commune

    pickups = []
    for insee in ("94081", "94028"):
        giver = OrganisationFactory(commune=Commune.objects.get(insee=insee))
        member(giver, Role.STAFF)
        reservation = services.reservation_create(actor=volunteer, item=_available(giver), requester=association,
                                                  quantity=1)
        services.reservation_approve(actor=giver.memberships.get().user, reservation=reservation)
        start = timezone.now() + timedelta(days=1)
        pickups.append(services.pickup_create(actor=coordinator, reservations=[reservation], window_start=start,
                                              window_end=start + timedelta(hours=1), volunteers=[]))
    tour = services.tour_create(actor=coordinator, organisation=association, date=timezone.localdate(),
                                capacity_kg=100, capacity_m3=5, pickups=pickups)

    response = api(coordinator).post(f"/api/v1/tours/{tour.pk}/optimise/")

    assert response.status_code == 200
    plan = response.json()
    assert sorted(stop["pickup"] for stop in plan["stops"]) == sorted(p.pk for p in pickups)
    assert [stop["position"] for stop in plan["stops"]] == [1, 2]
    assert plan["total_km"] >= sum(stop["distance_km"] for stop in plan["stops"])
    assert plan["over_capacity"] is False


def test_need_matches_and_close(api, staff, volunteer, giver, association):
    chair = Category.objects.get(key="office-chair")
    match = _available(giver)
    response = api(volunteer).post("/api/v1/needs/", {"category": chair.parent_id, "quantity": 4,
                                                      "beneficiary": "seniors"}, format="json")
    assert response.status_code == 201, response.content
    need = response.json()
    assert need["organisation"] == association.pk and need["status"] == "open"

    matches = api(staff).get(f"/api/v1/needs/{need['id']}/matches/").json()
    assert [row["id"] for row in matches["results"]] == [match.pk]

    response = api(volunteer).post(f"/api/v1/needs/{need['id']}/close/")
    assert response.status_code == 200 and response.json()["status"] == "closed"
    again = api(volunteer).post(f"/api/v1/needs/{need['id']}/close/")
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"


def test_unknown_beneficiary_is_400(api, volunteer):
    chair = Category.objects.get(key="office-chair")

    response = api(volunteer).post("/api/v1/needs/", {"category": chair.pk, "quantity": 1, "beneficiary": "aliens"},
                                   format="json")

    assert response.status_code == 400 and "beneficiary" in response.json()


#
# The chain of custody (API.md "Rules every endpoint keeps (v1.1)")
#
def _scheduled(giver, association, staff, coordinator, volunteer):
    reservation = services.reservation_create(actor=volunteer, item=_available(giver), requester=association,
                                              quantity=1)
    reservation = services.reservation_approve(actor=staff, reservation=reservation)
    start = timezone.now() + timedelta(days=1)
    services.pickup_create(actor=coordinator, reservations=[reservation], window_start=start,
                           window_end=start + timedelta(hours=2), volunteers=[volunteer])
    reservation.refresh_from_db()
    return reservation


def test_separation_of_duties_is_403_with_its_code(api, giver, association, staff, coordinator):
    dual = member(giver, Role.STAFF)
    Membership.objects.create(user=dual, organisation=association, role=Role.VOLUNTEER)
    item = _available(giver)
    claim = api(dual).post("/api/v1/reservations/", {"item": item.pk, "quantity": 1, "requester": association.pk},
                           format="json").json()
    assert claim["allowed_actions"] == ["decline", "cancel"]

    response = api(dual).post(f"/api/v1/reservations/{claim['id']}/approve/")
    assert response.status_code == 403 and response.json()["code"] == "separation_of_duties"

    reservation = _scheduled(giver, association, staff, coordinator, dual)
    response = api(dual).post(f"/api/v1/reservations/{reservation.pk}/collect/",
                              {"handover_code": reservation.handover_code}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "separation_of_duties"
    reservation.refresh_from_db()
    assert reservation.status == "scheduled"


def test_five_wrong_codes_replace_it_and_the_old_one_stops_working(
    api, giver, association, staff, coordinator, volunteer,
):
    reservation = _scheduled(giver, association, staff, coordinator, volunteer)
    old = reservation.handover_code
    wrong = f"{(int(old) + 1) % 1_000_000:06d}"
    url = f"/api/v1/reservations/{reservation.pk}/collect/"
    for _ in range(5):
        response = api(volunteer).post(url, {"handover_code": wrong}, format="json")
        assert response.status_code == 409 and response.json()["code"] == "wrong_handover_code"
    response = api(volunteer).post(url, {"handover_code": old}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "wrong_handover_code"
    new = api(staff).get(f"/api/v1/reservations/{reservation.pk}/").json()["handover_code"]
    assert new != old
    assert api(volunteer).get(f"/api/v1/reservations/{reservation.pk}/").json()["handover_code"] is None
    assert api(volunteer).post(url, {"handover_code": new}, format="json").json()["status"] == "collected"


def test_a_reason_of_1000_characters_is_kept_whole_and_1001_is_400(api, giver, association, staff, volunteer):
    """On PostgreSQL (CI's second leg) the history reason column is a varchar(100): the
    whole reason stays on the claim, the history keeps a shortened copy."""
    first = services.reservation_create(actor=volunteer, item=_available(giver), requester=association, quantity=1)
    second = services.reservation_create(actor=volunteer, item=_available(giver), requester=association, quantity=1)
    reason = ("Déjà promis au collège voisin, désolé ; " * 30)[:1000]

    response = api(staff).post(f"/api/v1/reservations/{first.pk}/decline/", {"reason": reason}, format="json")
    assert response.status_code == 200 and response.json()["reason"] == reason.strip()

    response = api(staff).post(f"/api/v1/reservations/{second.pk}/decline/", {"reason": "x" * 1001},
                               format="json")
    assert response.status_code == 400 and "reason" in response.json()
    second.refresh_from_db()
    assert second.status == "requested"
