"""The public-sector rules on the pages: the internal-first window and why a claim is refused."""

from datetime import timedelta

from django.urls import reverse
from django.utils import formats, timezone, translation

from inventory.models import Category, Organisation
from tests.factories import OrganisationFactory

from .conftest import offer


def _opens_in_french(item, days):
    with translation.override("fr"):
        return formats.date_format(timezone.localtime(item.published_at + timedelta(days=days)).date(), "DATE_FORMAT")


def test_catalogue_and_item_page_show_when_associations_may_claim(volunteer_client, staff):
    giver = OrganisationFactory(legal_status=Organisation.LegalStatus.PUBLIC_ESTABLISHMENT, internal_first_days=7)
    item = offer(giver, title="Armoire du CDI")
    day = _opens_in_french(item, 7)  # e.g. "3 décembre 2026": the pages are French by default

    catalogue = volunteer_client.get(reverse("catalogue")).content.decode()
    page = volunteer_client.get(reverse("item_detail", args=[item.pk])).content.decode()

    assert day in catalogue and 'class="meta release-window"' in catalogue
    assert day in page and 'data-code="internal_first"' in page


def test_no_window_once_associations_may_claim(volunteer_client):
    giver = OrganisationFactory(legal_status=Organisation.LegalStatus.PUBLIC_ESTABLISHMENT, internal_first_days=2)
    item = offer(giver, title="Chaises")
    item.published_at = timezone.now() - timedelta(days=3)
    item.save()

    catalogue = volunteer_client.get(reverse("catalogue")).content.decode()

    assert "release-window" not in catalogue


def test_item_page_tells_others_why_they_cannot_claim_a_medical_aid(volunteer_client, giver, staff):
    walker = offer(giver, staff, title="Déambulateur", category=Category.objects.get(key="walker"))

    page = volunteer_client.get(reverse("item_detail", args=[walker.pk]))

    assert page.status_code == 200
    assert 'data-code="medical_item"' in page.content.decode()


def test_item_page_names_the_article_for_an_ineligible_receiver(volunteer_client, association, giver, staff):
    association.redistributes_to_people_in_need = False
    association.save()
    chair = offer(giver, staff, title="Fauteuil")

    page = volunteer_client.get(reverse("item_detail", args=[chair.pk])).content.decode()

    assert 'data-code="transfer_not_eligible"' in page and "L3212-2" in page
