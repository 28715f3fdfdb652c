"""Staff pages: my items, the item form with photos, publish, withdraw, history."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from inventory import services
from inventory.models import Category, Item, Photo
from tests.factories import ItemFactory, OrganisationFactory, image_bytes, member, upload

from .conftest import signed_in


def test_my_items_lists_my_organisations_items_with_status_counts(staff_client, giver, staff):
    ItemFactory(owner=giver, title="Armoire en chêne")
    ItemFactory(owner=giver, title="Table ronde", status=Item.Status.AVAILABLE)
    ItemFactory(title="Chaise d'un autre EHPAD")
    body = staff_client.get(reverse("my_items")).content.decode()
    assert "Armoire en chêne" in body and "Table ronde" in body
    assert "Chaise d&#x27;un autre EHPAD" not in body and "Chaise d'un autre EHPAD" not in body
    filtered = staff_client.get(reverse("my_items"), {"status": "draft"}).content.decode()
    assert "Armoire en chêne" in filtered and "Table ronde" not in filtered
    assert 'Brouillon <span class="count">1</span>' in filtered


def test_my_items_has_an_empty_state(staff_client):
    response = staff_client.get(reverse("my_items"))
    assert response.status_code == 200
    assert 'class="empty"' in response.content.decode()


@pytest.mark.parametrize("name", ["my_items", "item_create", "claims"])
def test_volunteers_cannot_open_staff_pages(volunteer_client, name):
    response = volunteer_client.get(reverse(name))
    assert response.status_code == 403
    with translation.override("fr"):
        assert gettext("Access refused") in response.content.decode()  # our friendly page


def test_other_organisations_drafts_are_404_everywhere(giver, db):
    draft = ItemFactory(owner=giver, title="Brouillon secret")
    outsider = member(OrganisationFactory(), username="outsider")
    client = signed_in(outsider)
    for name in ("item_detail", "item_edit", "item_history"):
        response = client.get(reverse(name, args=[draft.pk]))
        assert response.status_code == 404, name
        assert "Brouillon secret" not in response.content.decode()
    assert client.post(reverse("item_publish", args=[draft.pk])).status_code == 404


def test_staff_of_another_organisation_cannot_edit_a_published_item(offered, db):
    outsider = member(OrganisationFactory(), username="outsider")
    response = signed_in(outsider).get(reverse("item_edit", args=[offered.pk]))
    assert response.status_code == 403


def _form_data(**overrides):
    data = {
        "title": "Fauteuil roulant pliant", "category": Category.objects.get(key="office-chair").pk,
        "condition": "good", "quantity": "2", "description": "", "floor": "1", "opening_hours": "9h-17h",
        "pickup_notes": "", "width_cm": "", "depth_cm": "", "height_cm": "", "unit_weight_kg": "",
        "available_from": "", "available_until": "", "inventory_number": "",
    }
    data.update(overrides)
    return data


def test_create_form_errors_are_in_french(staff_client):
    response = staff_client.post(reverse("item_create"), _form_data(title="", quantity="0"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Ce champ est obligatoire." in body
    assert "supérieure ou égale à 1" in body
    assert not Item.objects.exists()


def test_create_with_photos_saves_a_draft_through_the_service(staff_client, giver, staff):
    photos = [upload("a.jpg"), upload("b.png", image_bytes("PNG"), "image/png")]
    response = staff_client.post(reverse("item_create"), {**_form_data(), "photos": photos}, follow=True)
    item = Item.objects.get()
    assert response.redirect_chain[-1][0] == reverse("item_edit", args=[item.pk])
    assert (item.owner, item.status, item.created_by, item.quantity) == (giver, Item.Status.DRAFT, staff, 2)
    assert item.photos.count() == 2
    assert item.history.first().history_change_reason  # the service recorded why
    body = response.content.decode()
    assert 'capture="environment"' in body and 'accept="image/*"' in body
    assert "2 photo" in body  # the confirmation message


def test_the_create_form_takes_photos_from_the_camera(staff_client):
    body = staff_client.get(reverse("item_create")).content.decode()
    assert 'type="file"' in body and 'capture="environment"' in body
    assert 'accept="image/*"' in body and "multiple" in body


def test_a_refused_photo_is_reported_and_the_draft_kept(staff_client):
    response = staff_client.post(
        reverse("item_create"), {**_form_data(), "photos": [upload("x.jpg", b"not an image")]}, follow=True,
    )
    assert Item.objects.count() == 1 and Photo.objects.count() == 0
    assert "x.jpg" in response.content.decode()


def test_publish_without_photo_is_refused_with_the_services_message(staff_client, giver):
    draft = ItemFactory(owner=giver)
    response = staff_client.post(reverse("item_publish", args=[draft.pk]), follow=True)
    assert "Ajoutez au moins une photo avant de publier." in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Item.Status.DRAFT


def test_publish_puts_the_draft_in_the_catalogue(staff_client, staff, giver):
    draft = ItemFactory(owner=giver)
    services.photo_add(actor=staff, item=draft, upload=upload())
    response = staff_client.post(reverse("item_publish", args=[draft.pk]), follow=True)
    draft.refresh_from_db()
    assert draft.status == Item.Status.AVAILABLE
    assert response.redirect_chain[-1][0] == reverse("item_detail", args=[draft.pk])
    assert 'class="message success"' in response.content.decode()


def test_edit_goes_through_the_service_and_confirms(staff_client, offered):
    response = staff_client.post(reverse("item_edit", args=[offered.pk]), _form_data(title="Lit réglable"), follow=True)
    offered.refresh_from_db()
    assert offered.title == "Lit réglable"
    assert offered.history.first().history_change_reason == "Objet modifié"  # the service wrote it
    assert 'class="message success"' in response.content.decode()


@pytest.fixture
def three_photos(giver, staff):
    item = ItemFactory(owner=giver)
    photos = [services.photo_add(actor=staff, item=item, upload=upload(f"{n}.jpg")) for n in range(3)]
    return item, photos


def test_photos_are_reordered_with_htmx(staff_client, three_photos):
    item, (first, second, third) = three_photos
    response = staff_client.post(
        reverse("photo_move", args=[item.pk, third.pk]), {"direction": "up"}, HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="photo-list">')  # the fragment, not the page
    assert "<html" not in body and 'hx-swap-oob="innerHTML"' in body
    assert list(item.photos.order_by("order").values_list("pk", flat=True)) == [first.pk, third.pk, second.pk]


def test_photos_are_removed_with_htmx(staff_client, three_photos):
    item, (first, _second, _third) = three_photos
    response = staff_client.post(reverse("photo_delete", args=[item.pk, first.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and item.photos.count() == 2
    assert first.thumbnail.url not in response.content.decode()


def test_photo_upload_endpoint_answers_with_the_photo_list(staff_client, giver):
    item = ItemFactory(owner=giver)
    response = staff_client.post(reverse("photo_add", args=[item.pk]), {"photo": upload()}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and item.photos.count() == 1
    assert item.photos.get().thumbnail.url in response.content.decode()


def test_the_last_photo_of_a_published_item_stays(staff_client, offered):
    photo = offered.photos.get()
    response = staff_client.post(reverse("photo_delete", args=[offered.pk, photo.pk]), follow=True)
    assert offered.photos.count() == 1
    assert 'class="message error"' in response.content.decode()


def test_withdraw_calls_the_exchange_service(staff_client, offered):
    response = staff_client.post(reverse("item_withdraw", args=[offered.pk]), {"reason": "Cassé"}, follow=True)
    offered.refresh_from_db()
    assert offered.status == Item.Status.WITHDRAWN
    assert 'class="message success"' in response.content.decode()


def test_history_is_a_readable_timeline(staff_client, staff, offered):
    services.item_update(actor=staff, item=offered, title="Lit double")
    body = staff_client.get(reverse("item_history", args=[offered.pk])).content.decode()
    assert 'class="timeline"' in body
    assert "Objet modifié" in body and staff.get_full_name() in body  # why, and who


def test_history_shows_only_the_claims_the_reader_may_see(volunteer, association, offered, db):
    from exchange import services as exchange_services
    from tests.factories import AssociationFactory

    exchange_services.reservation_create(actor=volunteer, item=offered, requester=association, quantity=1)
    other = AssociationFactory(name="Ressourcerie de l'Est")
    outsider = member(other, "volunteer", username="outsider")
    ours = signed_in(volunteer).get(reverse("item_history", args=[offered.pk])).content.decode()
    theirs = signed_in(outsider).get(reverse("item_history", args=[offered.pk])).content.decode()
    assert "chip-requested" in ours  # the claim's own row, with its status
    assert "chip-requested" not in theirs and 'class="timeline"' in theirs


def test_home_depends_on_the_role(staff_client, volunteer_client, coordinator_client, viewer):
    from .conftest import signed_in

    staff_home = staff_client.get(reverse("home")).content.decode()
    assert reverse("item_create") in staff_home and reverse("claims") in staff_home
    volunteer_home = volunteer_client.get(reverse("home")).content.decode()
    assert reverse("my_pickups") in volunteer_home and reverse("item_create") not in volunteer_home
    assert reverse("planner") not in volunteer_home
    assert reverse("planner") in coordinator_client.get(reverse("home")).content.decode()
    viewer_home = signed_in(viewer).get(reverse("home")).content.decode()
    assert 'id="home-dashboard"' in viewer_home and reverse("my_items") not in viewer_home


def test_the_500_page_renders_without_a_request():
    from django.template.loader import render_to_string

    body = render_to_string("500.html")
    assert '<html lang="fr">' in body and 'href="/"' in body


def test_my_items_search_keeps_the_status_filter(staff_client, giver):
    ItemFactory(owner=giver, title="Armoire en chêne", inventory_number="INV-42")
    ItemFactory(owner=giver, title="Armoire métallique", status=Item.Status.AVAILABLE)
    body = staff_client.get(reverse("my_items"), {"q": "armoire", "status": "draft"}).content.decode()
    assert "Armoire en chêne" in body and "Armoire métallique" not in body
    assert "Armoire en chêne" in staff_client.get(reverse("my_items"), {"q": "inv-42"}).content.decode()
    assert 'href="?q=armoire&amp;status=available"' in body  # the chips keep the search


def test_the_upload_script_is_told_where_to_go(staff_client):
    response = staff_client.post(reverse("item_create"), _form_data(), HTTP_HX_REQUEST="true")
    item = Item.objects.get()
    assert response["HX-Redirect"] == reverse("item_edit", args=[item.pk])
