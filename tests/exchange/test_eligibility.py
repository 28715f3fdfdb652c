"""The public-property transfer rules (exchange.eligibility), walked over the claim service:
each giver legal status × receiver × item kind (IT or not) × declared unit value."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from exchange import eligibility, services
from exchange.models import Reservation, TransferException
from inventory.errors import WorkflowError
from inventory.models import Category, Membership, Organisation
from tests.factories import AssociationFactory, AvailableItemFactory, OrganisationFactory, member

Legal = Organisation.LegalStatus
PUBLIC_GIVERS = (Legal.PUBLIC_BODY, Legal.PUBLIC_ESTABLISHMENT)
PRIVATE_GIVERS = (Legal.PRIVATE_NONPROFIT, Legal.PRIVATE_COMPANY)

# Receivers by name: legal status and labels.
RECEIVERS = {
    "commune": {"legal_status": Legal.PUBLIC_BODY, "kind": Organisation.Kind.OTHER},
    "public_college": {"legal_status": Legal.PUBLIC_ESTABLISHMENT, "kind": Organisation.Kind.SCHOOL},
    "solidarity_assoc": {"legal_status": Legal.PRIVATE_NONPROFIT, "redistributes_to_people_in_need": True},
    "esus_reuse": {"legal_status": Legal.PRIVATE_NONPROFIT, "is_esus": True},
    "arup_assoc": {"legal_status": Legal.PRIVATE_NONPROFIT, "is_arup": True},
    "plain_assoc": {"legal_status": Legal.PRIVATE_NONPROFIT},
    "company": {"legal_status": Legal.PRIVATE_COMPANY, "kind": Organisation.Kind.OTHER},
}
CHAIR, LAPTOP, MONITOR = "office-chair", "laptop", "monitor"  # laptop and monitor: children of "it"

# (receiver, category, declared unit value, expected rule or refusal code) for a PUBLIC giver.
PUBLIC_TABLE = [
    ("commune", CHAIR, "5000", "public_to_public"),  # 11°: no ceiling between public persons
    ("commune", LAPTOP, "5000", "public_to_public"),
    ("public_college", CHAIR, "301", "public_to_public"),
    ("public_college", MONITOR, "900", "public_to_public"),
    ("solidarity_assoc", CHAIR, "300", "solidarity_association"),  # 2°, at the ceiling
    ("solidarity_assoc", CHAIR, "300.01", "transfer_over_ceiling"),
    ("solidarity_assoc", LAPTOP, "120", "solidarity_association"),  # 2° covers any movable
    ("solidarity_assoc", LAPTOP, "800", "transfer_over_ceiling"),
    ("esus_reuse", LAPTOP, "300", "it_equipment"),  # 3°: IT only
    ("esus_reuse", MONITOR, "301", "transfer_over_ceiling"),
    ("esus_reuse", CHAIR, "50", "transfer_not_eligible"),
    ("arup_assoc", LAPTOP, "250", "it_equipment"),
    ("arup_assoc", CHAIR, "50", "transfer_not_eligible"),
    ("plain_assoc", CHAIR, "10", "transfer_not_eligible"),
    ("plain_assoc", LAPTOP, "10", "transfer_not_eligible"),
    ("company", CHAIR, "10", "transfer_not_eligible"),
    ("company", LAPTOP, "10", "transfer_not_eligible"),
]
REFUSALS = {"transfer_not_eligible", "transfer_over_ceiling"}


def _receiver(name):
    fields = dict(RECEIVERS[name])
    fields.setdefault("kind", Organisation.Kind.ASSOCIATION)
    return OrganisationFactory(name=f"Receiver {name}", **fields)


def _item(giver_status, category_key, value):
    giver = OrganisationFactory(name=f"Giver {giver_status}", legal_status=giver_status)
    return AvailableItemFactory(owner=giver, category=Category.objects.get(key=category_key),
                                unit_value_eur=Decimal(value), quantity=2)


def _claim(item, receiver, **kwargs):
    actor = member(receiver, Membership.Role.VOLUNTEER)
    return services.reservation_create(actor=actor, item=item, requester=receiver, quantity=1, **kwargs)


@pytest.mark.django_db
@pytest.mark.parametrize("giver_status", PUBLIC_GIVERS)
@pytest.mark.parametrize(("receiver", "category", "value", "expected"), PUBLIC_TABLE)
def test_public_giver_table_over_the_service(giver_status, receiver, category, value, expected):
    item, requester = _item(giver_status, category, value), _receiver(receiver)

    if expected in REFUSALS:
        with pytest.raises(WorkflowError) as refused:
            _claim(item, requester)
        assert refused.value.code == expected
        assert "L3212-2" in refused.value.message  # the message names the rule
        item.refresh_from_db()
        assert item.quantity_reserved == 0 and not Reservation.objects.exists()
    else:
        reservation = _claim(item, requester)
        assert reservation.transfer_rule == expected
        assert reservation.legal_basis.startswith("CG3P art. L3212-2")


@pytest.mark.django_db
@pytest.mark.parametrize("giver_status", PRIVATE_GIVERS)
@pytest.mark.parametrize("receiver", list(RECEIVERS))
@pytest.mark.parametrize(("category", "value"), [(CHAIR, "5000"), (LAPTOP, "5000"), (CHAIR, "10")])
def test_private_givers_are_not_bound(giver_status, receiver, category, value):
    reservation = _claim(_item(giver_status, category, value), _receiver(receiver))

    assert reservation.transfer_rule == "private_giver"


@pytest.mark.django_db
def test_ceiling_uses_the_category_value_when_none_is_declared():
    giver = OrganisationFactory(legal_status=Legal.PUBLIC_ESTABLISHMENT)
    fridge = AvailableItemFactory(owner=giver, category=Category.objects.get(key="fridge"))  # 450 EUR
    assert eligibility.declared_unit_value(fridge) == Decimal("450")

    with pytest.raises(WorkflowError) as refused:
        _claim(fridge, _receiver("solidarity_assoc"))
    assert refused.value.code == "transfer_over_ceiling"


@pytest.mark.django_db
def test_a_loan_is_not_a_transfer():
    item = _item(Legal.PUBLIC_ESTABLISHMENT, CHAIR, "5000")
    reservation = _claim(item, _receiver("plain_assoc"), mode=Reservation.Mode.LOAN,
                         return_by=timezone.localdate() + timedelta(days=30))

    assert reservation.transfer_rule == "loan"


def test_it_equipment_is_the_it_category_and_its_children(db):
    assert eligibility.is_it_equipment(Category.objects.get(key="it"))
    assert eligibility.is_it_equipment(Category.objects.get(key="printer"))
    assert not eligibility.is_it_equipment(Category.objects.get(key="other-electrical"))


#
# Medical aids
#
@pytest.mark.django_db
@pytest.mark.parametrize(("receiver_fields", "allowed"), [
    ({"legal_status": Legal.PRIVATE_NONPROFIT, "redistributes_to_people_in_need": True}, False),
    ({"legal_status": Legal.PUBLIC_ESTABLISHMENT}, False),
    ({"legal_status": Legal.PRIVATE_NONPROFIT, "redistributes_to_people_in_need": True,
      "is_certified_refurbisher": True}, True),
])
def test_medical_aids_go_only_to_certified_refurbishers(receiver_fields, allowed):
    walker = _item(Legal.PUBLIC_ESTABLISHMENT, "walker", "80")
    receiver = OrganisationFactory(kind=Organisation.Kind.ASSOCIATION, **receiver_fields)

    if allowed:
        assert _claim(walker, receiver).transfer_rule == "solidarity_association"
    else:
        with pytest.raises(WorkflowError) as refused:
            _claim(walker, receiver)
        assert refused.value.code == "medical_item"


#
# Exceptions recorded by the département
#
@pytest.mark.django_db
def test_a_managers_exception_lifts_the_refusal_and_is_historied(manager):
    item, receiver = _item(Legal.PUBLIC_BODY, CHAIR, "50"), _receiver("plain_assoc")
    with pytest.raises(WorkflowError):
        _claim(item, receiver)

    exception = services.transfer_exception_grant(actor=manager, item=item, requester=receiver,
                                                  reason="Délibération du 12 mars")
    reservation = _claim(item, receiver)

    assert reservation.transfer_rule == "transfer_exception"
    assert "Délibération du 12 mars" in reservation.legal_basis
    row = exception.history.get()
    assert row.history_user == manager and "Délibération du 12 mars" in row.history_change_reason
    # For this receiver only.
    with pytest.raises(WorkflowError):
        _claim(item, _receiver("company"))


@pytest.mark.django_db
def test_only_a_departement_manager_grants_exceptions(viewer, staff, item):
    receiver = _receiver("plain_assoc")
    for user in (viewer, staff):
        with pytest.raises(PermissionDenied):
            services.transfer_exception_grant(actor=user, item=item, requester=receiver, reason="x")
    assert not TransferException.objects.exists()


#
# Internal-first release window
#
@pytest.mark.django_db
@pytest.mark.parametrize(("days_after", "public", "partner", "other"), [
    (1, True, False, False),
    (10, True, True, False),
    (20, True, True, True),
])
def test_internal_first_window(days_after, public, partner, other):
    giver = OrganisationFactory(legal_status=Legal.PUBLIC_ESTABLISHMENT, internal_first_days=7)
    published = timezone.now() - timedelta(days=days_after)
    receivers = {
        "public": OrganisationFactory(legal_status=Legal.PUBLIC_BODY, kind=Organisation.Kind.OTHER),
        "partner": AssociationFactory(),
        "other": AssociationFactory(is_reuse_partner=False),
    }
    for name, expected in (("public", public), ("partner", partner), ("other", other)):
        item = AvailableItemFactory(owner=giver, published_at=published, unit_value_eur=Decimal("20"))
        if expected:
            assert _claim(item, receivers[name]).status == Reservation.Status.REQUESTED
        else:
            with pytest.raises(WorkflowError) as refused:
                _claim(item, receivers[name])
            assert refused.value.code == "internal_first"


@pytest.mark.django_db
def test_departement_default_window_applies_to_public_givers_only(settings):
    settings.REBOND_INTERNAL_FIRST_DAYS = 5
    public = OrganisationFactory(legal_status=Legal.PUBLIC_ESTABLISHMENT)
    private = OrganisationFactory(legal_status=Legal.PRIVATE_NONPROFIT)
    opted_out = OrganisationFactory(legal_status=Legal.PUBLIC_BODY, internal_first_days=0)

    assert eligibility.internal_first_days(public) == 5
    assert eligibility.internal_first_days(private) == 0
    assert eligibility.internal_first_days(opted_out) == 0
    item = AvailableItemFactory(owner=public, unit_value_eur=Decimal("20"))
    window = eligibility.release_window(item)
    assert window.associations_from == item.published_at + timedelta(days=5)
    assert window.everyone_from == item.published_at + timedelta(days=10)
    with pytest.raises(WorkflowError) as refused:
        _claim(item, AssociationFactory())
    assert refused.value.code == "internal_first"
