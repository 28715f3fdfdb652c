"""Inventory endpoints: me, organisations, categories, items, filters, photos."""

from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import Category, Item, Membership, Photo
from tests.factories import ItemFactory, OrganisationFactory, image_bytes

Role = Membership.Role


def _available(**fields):
    item = ItemFactory(status=Item.Status.AVAILABLE, **fields)
    Photo.objects.create(item=item, image="photos/aa/a.jpg", thumbnail="photos/aa/a_t.webp", width=4, height=4)
    return item


def _ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_me_lists_memberships(api, staff, giver):
    data = api(staff).get("/api/v1/me/").json()

    assert data["username"] == "staff"
    assert data["memberships"] == [{"organisation": giver.pk, "organisation_name": giver.name, "role": "staff"}]


def test_contact_details_only_for_own_organisation_and_department(api, giver, staff, volunteer, viewer):
    giver.contact_name, giver.contact_phone = "Mme Martin", "01 02 03 04 05"
    giver.save()
    url = f"/api/v1/organisations/{giver.pk}/"

    assert api(staff).get(url).json()["contact_name"] == "Mme Martin"
    assert api(viewer).get(url).json()["contact_phone"] == "01 02 03 04 05"
    assert api(volunteer).get(url).json()["contact_name"] == ""


def test_manager_creates_organisation_with_history(api, manager):
    body = {"name": "Collège Eugène Delacroix", "kind": "school", "address": "3 rue", "postcode": "94000",
            "commune": "94028", "uai": "0941234A"}

    response = api(manager).post("/api/v1/organisations/", body, format="json")

    assert response.status_code == 201, response.content
    from inventory.models import Organisation

    organisation = Organisation.objects.get(pk=response.json()["id"])
    assert organisation.history.get().history_user == manager


def test_invalid_siret_is_400(api, manager):
    body = {"name": "X", "kind": "school", "address": "3 rue", "postcode": "94000", "commune": "94028",
            "siret": "12345678901234"}

    response = api(manager).post("/api/v1/organisations/", body, format="json")

    assert response.status_code == 400 and "siret" in response.json()


def test_categories_are_a_tree_with_factors(api, staff):
    data = api(staff).get("/api/v1/categories/?page_size=100").json()
    chair = next(row for row in data["results"] if row["key"] == "office-chair")

    assert set(chair) >= {"id", "parent", "name", "unit_weight_kg", "unit_value_eur", "unit_co2e_kg"}
    assert chair["parent"] is not None


def test_owner_defaults_to_the_only_staff_membership(api, staff, giver):
    body = {"title": "Armoire", "category": Category.objects.get(key="office-chair").pk, "condition": "fair"}

    response = api(staff).post("/api/v1/items/", body, format="json")

    assert response.status_code == 201
    assert response.json()["owner"] == giver.pk and response.json()["status"] == "draft"


def test_owner_required_with_several_staff_memberships(api, staff):
    Membership.objects.create(user=staff, organisation=OrganisationFactory(), role=Role.STAFF)
    body = {"title": "Armoire", "category": Category.objects.get(key="office-chair").pk, "condition": "fair"}

    response = api(staff).post("/api/v1/items/", body, format="json")

    assert response.status_code == 400
    assert "owner" in response.json()


def test_item_edit_cannot_move_it_to_another_owner(api, staff, item):
    other = OrganisationFactory()

    response = api(staff).patch(f"/api/v1/items/{item.pk}/", {"owner": other.pk, "title": "Neuf"}, format="json")

    assert response.status_code == 200
    item.refresh_from_db()
    assert item.owner != other and item.title == "Neuf"


def test_filters(api, viewer, giver):
    seats = Category.objects.get(key="office-chair")
    parent = seats.parent
    chair = _available(owner=giver, title="Fauteuil ergonomique", category=seats, condition="as_new")
    late = _available(title="Bureau en chêne", description="Grand bureau", category=Category.objects.exclude(
        pk__in=parent.descendant_ids()).filter(parent__isnull=False).first(), available_until=date(2027, 6, 1))
    draft = ItemFactory(owner=giver, title="Fauteuil brouillon")
    client = api(viewer)

    assert _ids(client.get(f"/api/v1/items/?category={parent.pk}&status=available")) == [chair.pk]
    assert set(_ids(client.get("/api/v1/items/?search=fauteuil"))) == {chair.pk, draft.pk}
    assert _ids(client.get("/api/v1/items/?search=chêne")) == [late.pk]
    assert _ids(client.get("/api/v1/items/?condition=as_new")) == [chair.pk]
    assert set(_ids(client.get(f"/api/v1/items/?owner={giver.pk}"))) == {chair.pk, draft.pk}
    assert _ids(client.get("/api/v1/items/?status=available&available_after=2027-07-01")) == [chair.pk]
    later = _available(title="Armoire", category=seats, available_until=date(2027, 9, 1))
    dated = "/api/v1/items/?status=available&condition=good&ordering="
    assert _ids(client.get(dated + "available_until")) == [late.pk, later.pk]
    assert _ids(client.get(dated + "-available_until")) == [later.pk, late.pk]
    assert _ids(client.get(f"/api/v1/items/?commune={giver.commune_id}&status=draft")) == [draft.pk]
    assert _ids(client.get("/api/v1/items/?ordering=created_at"))[0] == chair.pk
    # Statuses alone (the list's fast path without the filterset) filter as the filterset would.
    assert set(_ids(client.get("/api/v1/items/?status=available"))) == {chair.pk, late.pk, later.pk}
    assert set(_ids(client.get("/api/v1/items/?status=available&status=draft&page_size=10"))) == {
        chair.pk, late.pk, later.pk, draft.pk}
    assert client.get("/api/v1/items/?status=available&status=nope").status_code == 400


def test_page_size_is_capped_at_100(api, viewer):
    for _ in range(3):
        _available()

    data = api(viewer).get("/api/v1/items/?page_size=1").json()
    assert set(data) == {"count", "next", "previous", "results"}
    assert data["count"] == 3 and len(data["results"]) == 1 and "page=2" in data["next"]
    assert len(api(viewer).get("/api/v1/items/?page_size=1000").json()["results"]) == 3


def test_item_list_costs_the_same_queries_for_1_or_100_items(api, volunteer):
    for _ in range(100):
        _available()
    client = api(volunteer)

    with CaptureQueriesContext(connection) as one:
        assert len(client.get("/api/v1/items/?page_size=1").json()["results"]) == 1
    with CaptureQueriesContext(connection) as hundred:
        assert len(client.get("/api/v1/items/?page_size=100").json()["results"]) == 100

    assert len(hundred) == len(one)


def test_photo_upload_reorder_describe_and_delete(api, staff, item):
    client = api(staff)
    url = f"/api/v1/items/{item.pk}/photos/"
    for name in ("a.jpg", "b.jpg"):
        upload = SimpleUploadedFile(name, image_bytes(size=(64, 48)), content_type="image/jpeg")
        assert client.post(url, {"image": upload}, format="multipart").status_code == 201
    first, second = client.get(url).json()
    assert set(first) == {"id", "image", "thumbnail", "width", "height", "order", "alt_text"}
    assert (first["width"], first["height"]) == (64, 48)

    response = client.patch(f"{url}{first['id']}/", {"order": 5, "alt_text": "Côté gauche"}, format="json")

    assert response.status_code == 200 and response.json()["alt_text"] == "Côté gauche"
    assert [p["id"] for p in client.get(url).json()] == [second["id"], first["id"]]
    assert client.delete(f"{url}{second['id']}/").status_code == 204
    assert [p["id"] for p in client.get(url).json()] == [first["id"]]
    assert client.delete(f"{url}999999/").status_code == 404


def test_last_photo_of_published_item_cannot_be_removed(api, staff, giver):
    item = _available(owner=giver)
    photo = item.photos.get()

    response = api(staff).delete(f"/api/v1/items/{item.pk}/photos/{photo.pk}/")

    assert response.status_code == 409 and response.json()["code"] == "last_photo"


def test_published_item_cannot_be_deleted(api, staff, giver):
    item = _available(owner=giver)

    response = api(staff).delete(f"/api/v1/items/{item.pk}/")

    assert response.status_code == 409 and response.json()["code"] == "not_a_draft"
    assert Item.objects.filter(pk=item.pk).exists()


def test_withdraw_cancels_active_claims(api, staff, volunteer, association, giver):
    item = _available(owner=giver, quantity=2)
    claim = api(volunteer).post("/api/v1/reservations/", {"item": item.pk, "quantity": 1}, format="json").json()

    response = api(staff).post(f"/api/v1/items/{item.pk}/withdraw/", {"reason": "Cassé"}, format="json")

    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    claim = api(volunteer).get(f"/api/v1/reservations/{claim['id']}/").json()
    assert claim["status"] == "cancelled" and "Cassé" in claim["reason"]
