"""History names people only to the item owner's staff and the département (issue #13,
finding 8; API.md v1.1): everyone else reads the organisation the person acted for. The
rule (``inventory.history.credits``) serves the API and the item's history page alike."""

import re
from collections import Counter

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from exchange import services as exchange_services
from inventory import services
from inventory.models import Membership
from tests.factories import AssociationFactory, AvailableItemFactory, member

Role = Membership.Role
# Usernames are often e-mail addresses: exactly what must not reach other organisations.
CLAIRE = "claire.martin@tilleuls.example"
NINA = "nina.roux@recyclerie.example"


@pytest.fixture
def story(giver, association, viewer):
    """The giver's staff edits an offered bed, a volunteer claims it, the staff approves."""
    staff = member(giver, Role.STAFF, username=CLAIRE, first_name="Claire", last_name="Martin")
    volunteer = member(association, Role.VOLUNTEER, username=NINA, first_name="Nina", last_name="Roux")
    bystander = member(AssociationFactory(name="Ressourcerie de l'Est"), Role.VOLUNTEER, username="bystander")
    item = AvailableItemFactory(owner=giver, quantity=3)  # created by no one: a system row
    services.item_update(actor=staff, item=item, title="Lit médicalisé")
    reservation = exchange_services.reservation_create(actor=volunteer, item=item, requester=association, quantity=1)
    exchange_services.reservation_approve(actor=staff, reservation=reservation)
    return {"item": item, "reservation": reservation, "readers": {
        "staff": staff, "viewer": viewer, "claimer": volunteer, "bystander": bystander,
    }}


def api_history(user, path):
    client = APIClient()
    client.force_authenticate(user)
    return client.get(f"/api/v1/{path}/history/")


def credits_of(entries):
    return [(entry["user"], entry["organisation"]["name"] if entry["organisation"] else None) for entry in entries]


@pytest.mark.parametrize(("reader", "names_shown"), [
    ("staff", True), ("viewer", True), ("claimer", False), ("bystander", False),
])
def test_the_item_history_names_people_only_to_the_owners_staff_and_the_department(
    story, reader, names_shown, giver, association,
):
    response = api_history(story["readers"][reader], f"items/{story['item'].pk}")

    assert response.status_code == 200
    # Newest first: the claim (its units held), the staff's edit, the creation by the system.
    expected = [(NINA, association.name), (CLAIRE, giver.name), (None, None)]
    assert credits_of(response.json()) == [(user if names_shown else None, org) for user, org in expected]
    assert response.json()[0]["organisation"] == {"id": association.pk, "name": association.name}


@pytest.mark.parametrize(("reader", "names_shown"), [("staff", True), ("viewer", True), ("claimer", False)])
def test_the_claim_history_names_people_only_to_the_givers_staff_and_the_department(
    story, reader, names_shown, giver, association,
):
    response = api_history(story["readers"][reader], f"reservations/{story['reservation'].pk}")

    expected = [(CLAIRE, giver.name), (NINA, association.name)]  # approved, claimed
    assert credits_of(response.json()) == [(user if names_shown else None, org) for user, org in expected]


def test_a_bystander_does_not_see_the_claim_history(story):
    assert api_history(story["readers"]["bystander"], f"reservations/{story['reservation'].pk}").status_code == 404


@pytest.mark.parametrize(("reader", "expected"), [
    ("staff", {"by Nina Roux": 2, "by Claire Martin": 2, "by Rebond (automatic)": 1}),
    ("viewer", {"by Nina Roux": 2, "by Claire Martin": 2, "by Rebond (automatic)": 1}),
    ("claimer", {"by a member of Recyclerie du Val": 2, "by a member of EHPAD Les Tilleuls": 2,
                 "by Rebond (automatic)": 1}),
    # The claim's own rows are not the bystander's to see; the item's rows are.
    ("bystander", {"by a member of Recyclerie du Val": 1, "by a member of EHPAD Les Tilleuls": 1,
                   "by Rebond (automatic)": 1}),
])
def test_the_history_page_names_people_as_the_api_does(story, reader, expected):
    client = Client()
    client.force_login(story["readers"][reader])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get(reverse("item_history", args=[story["item"].pk])).content.decode()

    assert Counter(re.findall(r'<p class="meta">(.*?)</p>', body)) == expected
    if reader in ("claimer", "bystander"):
        assert CLAIRE not in body and "Martin" not in body


def test_history_reads_in_constant_queries_whoever_acted(story, viewer, django_assert_num_queries):
    """One query for the rows and one for the actors' memberships, never one per entry."""
    item = story["item"]
    api, page = APIClient(), Client()
    api.force_authenticate(viewer)
    page.force_login(viewer)
    url, page_url = f"/api/v1/items/{item.pk}/history/", reverse("item_history", args=[item.pk])
    with CaptureQueriesContext(connection) as few:
        api.get(url)
    with CaptureQueriesContext(connection) as few_on_page:
        page.get(page_url)

    for _ in range(2):  # two more organisations claim, and call it off, each by new people
        claimant = AssociationFactory()
        reservation = exchange_services.reservation_create(
            actor=member(claimant, Role.VOLUNTEER), item=item, requester=claimant, quantity=1,
        )
        exchange_services.reservation_cancel(actor=member(claimant, Role.COORDINATOR), reservation=reservation,
                                             reason="Plus besoin")

    with django_assert_num_queries(len(few)):
        assert len(api.get(url).json()) == 3 + 4
    with django_assert_num_queries(len(few_on_page)):
        page.get(page_url)
