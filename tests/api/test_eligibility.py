"""The transfer rules over the API: a refused claim is a 409 whose code names the rule."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.models import Category, Membership, Organisation
from tests.exchange.test_eligibility import PUBLIC_GIVERS, PUBLIC_TABLE, REFUSALS, _item, _receiver
from tests.factories import AssociationFactory, AvailableItemFactory, OrganisationFactory, member

Legal = Organisation.LegalStatus


def _post(api, item, requester):
    user = member(requester, Membership.Role.VOLUNTEER)
    return api(user).post("/api/v1/reservations/", {"item": item.pk, "quantity": 1}, format="json")


@pytest.mark.django_db
@pytest.mark.parametrize("giver_status", PUBLIC_GIVERS)
@pytest.mark.parametrize(("receiver", "category", "value", "expected"), PUBLIC_TABLE)
def test_public_giver_table_over_the_api(api, giver_status, receiver, category, value, expected):
    response = _post(api, _item(giver_status, category, value), _receiver(receiver))

    if expected in REFUSALS:
        assert response.status_code == 409, response.content
        assert response.json()["code"] == expected
        assert "L3212-2" in response.content.decode()
    else:
        assert response.status_code == 201, response.content


@pytest.mark.django_db
def test_private_giver_over_the_api(api):
    response = _post(api, _item(Legal.PRIVATE_COMPANY, "laptop", "2000"), _receiver("company"))

    assert response.status_code == 201


@pytest.mark.django_db
def test_medical_aid_over_the_api(api):
    giver = OrganisationFactory(legal_status=Legal.PUBLIC_ESTABLISHMENT)
    bed = AvailableItemFactory(owner=giver, category=Category.objects.get(key="medical-bed"),
                               unit_value_eur=Decimal("200"))

    refused = _post(api, bed, AssociationFactory())
    allowed = _post(api, bed, AssociationFactory(is_certified_refurbisher=True))

    assert refused.status_code == 409 and refused.json()["code"] == "medical_item"
    assert allowed.status_code == 201


@pytest.mark.django_db
def test_internal_first_over_the_api(api):
    giver = OrganisationFactory(legal_status=Legal.PUBLIC_BODY, internal_first_days=3)
    item = AvailableItemFactory(owner=giver, unit_value_eur=Decimal("20"), quantity=2,
                                published_at=timezone.now() - timedelta(days=1))

    refused = _post(api, item, AssociationFactory())
    allowed = _post(api, item, OrganisationFactory(legal_status=Legal.PUBLIC_ESTABLISHMENT))

    assert refused.status_code == 409 and refused.json()["code"] == "internal_first"
    assert allowed.status_code == 201
