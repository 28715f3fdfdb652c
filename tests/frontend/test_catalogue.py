"""The catalogue (filters, paging, constant queries) and an item's page."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from inventory.models import Category, Commune, Item
from tests.factories import ItemFactory, OrganisationFactory

from .conftest import offer


def _titles(response) -> list[str]:
    return re.findall(r'<h3><a href="/items/\d+/">([^<]+)</a></h3>', response.content.decode())


def test_catalogue_shows_published_items_only(volunteer_client, giver, staff, offered):
    ItemFactory(owner=giver, title="Brouillon pas prêt")
    ItemFactory(owner=giver, title="Retiré", status=Item.Status.WITHDRAWN)
    assert _titles(volunteer_client.get(reverse("catalogue"))) == ["Lit médicalisé électrique"]


def test_catalogue_filters_by_words_category_commune_and_condition(volunteer_client, giver, staff):
    vitry = OrganisationFactory(commune=Commune.objects.get(insee="94081"))
    offer(giver, staff, title="Chaise de bureau bleue", condition="good")
    offer(giver, staff, title="Chaise pliante", condition="fair")
    offer(vitry, title="Chaise de Vitry", condition="good")
    laptop = Category.objects.exclude(key="office-chair").first()
    offer(giver, staff, title="Objet divers", category=laptop)

    def titles(**params):
        return sorted(_titles(volunteer_client.get(reverse("catalogue"), params)))

    assert titles(q="chaise bleue") == ["Chaise de bureau bleue"]
    assert titles(condition="fair") == ["Chaise pliante"]
    assert titles(commune="94081") == ["Chaise de Vitry"]
    assert titles(category=laptop.pk) == ["Objet divers"]
    assert titles(q="chaise", condition="good", commune="94028") == ["Chaise de bureau bleue"]


def test_parent_category_finds_its_sub_categories(volunteer_client, giver, staff):
    child = Category.objects.filter(parent__isnull=False).select_related("parent").first()
    offer(giver, staff, title="Dans la sous-catégorie", category=child)
    response = volunteer_client.get(reverse("catalogue"), {"category": child.parent_id})
    assert _titles(response) == ["Dans la sous-catégorie"]


def test_bad_filter_values_do_not_break_the_page(volunteer_client, offered):
    response = volunteer_client.get(reverse("catalogue"), {"category": "abc", "commune": "x", "page": "9999"})
    assert response.status_code == 200


def test_paging_keeps_the_filters_in_the_url(volunteer_client, giver, staff):
    for n in range(14):
        ItemFactory(owner=giver, title=f"Chaise {n}", status=Item.Status.AVAILABLE)
    response = volunteer_client.get(reverse("catalogue"), {"q": "chaise", "condition": "good"})
    body = response.content.decode()
    assert len(_titles(response)) == 12
    assert 'href="?q=chaise&amp;condition=good&amp;page=2"' in body
    second = volunteer_client.get(reverse("catalogue"), {"q": "chaise", "condition": "good", "page": 2})
    assert len(_titles(second)) == 2


def test_htmx_search_answers_with_the_results_fragment(volunteer_client, offered):
    response = volunteer_client.get(reverse("catalogue"), {"q": "lit"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="results"') and "<html" not in body
    assert "Lit médicalisé électrique" in body


def test_empty_catalogue_says_so(volunteer_client):
    assert 'class="empty"' in volunteer_client.get(reverse("catalogue")).content.decode()


def _catalogue_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("catalogue")).status_code == 200
    return len(queries)


def test_catalogue_queries_do_not_grow_with_the_number_of_items(volunteer_client, giver, staff):
    offer(giver, staff)
    _catalogue_queries(volunteer_client)  # warms the cached site settings up
    few = _catalogue_queries(volunteer_client)
    for n in range(10):  # other owners in other communes, several photos
        owner = OrganisationFactory(commune=Commune.objects.order_by("insee")[n])
        item = offer(owner)
        offer(owner, item.owner.memberships.get().user)
    many = _catalogue_queries(volunteer_client)
    assert few == many


def test_item_page_shows_gallery_constraints_and_claim_form(volunteer_client, offered):
    offered.floor, offered.has_lift, offered.opening_hours = 2, False, "Lundi 9h-12h"
    offered.save()
    body = volunteer_client.get(reverse("item_detail", args=[offered.pk])).content.decode()
    assert 'class="gallery"' in body and offered.photos.get().image.url in body
    assert "Lundi 9h-12h" in body
    assert f'action="/items/{offered.pk}/claim/"' in body


def test_own_item_page_offers_no_claim_but_edit(staff_client, offered):
    body = staff_client.get(reverse("item_detail", args=[offered.pk])).content.decode()
    assert "/claim/" not in body and reverse("item_edit", args=[offered.pk]) in body


@pytest.mark.parametrize("status", [Item.Status.DRAFT, Item.Status.WITHDRAWN])
def test_unpublished_items_of_others_are_404(volunteer_client, giver, status):
    item = ItemFactory(owner=giver, status=status)
    response = volunteer_client.get(reverse("item_detail", args=[item.pk]))
    assert response.status_code == 404
    with translation.override("fr"):
        assert gettext("Page not found") in response.content.decode()  # our friendly page
