from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from inventory import services
from inventory.errors import WorkflowError
from inventory.models import Category, Item, Membership
from tests.factories import OrganisationFactory, member, upload


def _create(actor, owner, **extra):
    fields = {"title": "Lit médicalisé", "category": Category.objects.get(key="medical-bed"),
              "condition": Item.Condition.GOOD, "quantity": 2} | extra
    return services.item_create(actor=actor, owner=owner, **fields)


def test_staff_creates_a_draft_and_history_records_the_user(staff, giver):
    item = _create(staff, giver)
    assert item.status == Item.Status.DRAFT
    record = item.history.get()
    assert record.history_user == staff
    assert record.history_change_reason == "Objet créé"


@pytest.mark.parametrize("role", [Membership.Role.VOLUNTEER, Membership.Role.VIEWER])
def test_other_roles_cannot_create_items(giver, role):
    with pytest.raises(PermissionDenied):
        _create(member(giver, role), giver)


def test_staff_of_another_organisation_cannot_touch_the_item(item):
    outsider = member(OrganisationFactory(), Membership.Role.STAFF)
    with pytest.raises(PermissionDenied):
        services.item_update(actor=outsider, item=item, title="Volé")
    with pytest.raises(PermissionDenied):
        services.photo_add(actor=outsider, item=item, upload=upload())


def test_invalid_fields_are_refused_and_nothing_is_written(staff, giver):
    with pytest.raises(ValidationError):
        _create(staff, giver, quantity=0)
    assert Item.objects.count() == 0


def test_publish_needs_a_photo_then_goes_available(staff, item):
    with pytest.raises(WorkflowError) as caught:
        services.item_publish(actor=staff, item=item)
    assert caught.value.code == "no_photo"
    services.photo_add(actor=staff, item=item, upload=upload())
    item = services.item_publish(actor=staff, item=item)
    assert item.status == Item.Status.AVAILABLE and item.published_at
    assert [h.history_change_reason for h in item.history.all()][:1] == ["Publié"]
    with pytest.raises(WorkflowError) as caught:
        services.item_publish(actor=staff, item=item)
    assert caught.value.code == "invalid_transition"


def test_update_keeps_status_in_step_with_units(staff, item):
    services.photo_add(actor=staff, item=item, upload=upload())
    services.item_publish(actor=staff, item=item)
    Item.objects.filter(pk=item.pk).update(quantity_reserved=2)  # as if two of three units were claimed
    item.refresh_from_db()
    with pytest.raises(ValidationError):
        services.item_update(actor=staff, item=item, quantity=1)
    item = services.item_update(actor=staff, item=item, quantity=5)
    assert item.status == Item.Status.AVAILABLE and item.quantity_available == 3
    item = services.item_update(actor=staff, item=item, quantity=2)
    assert item.status == Item.Status.RESERVED
    with pytest.raises(WorkflowError) as caught:  # a reserved item is no longer edited
        services.item_update(actor=staff, item=item, title="Autre titre")
    assert caught.value.code == "not_editable"


def test_photos_are_ordered_and_the_last_one_of_a_published_item_stays(staff, item):
    first = services.photo_add(actor=staff, item=item, upload=upload())
    second = services.photo_add(actor=staff, item=item, upload=upload("b.jpg"))
    assert (first.order, second.order) == (0, 1)
    services.item_publish(actor=staff, item=item)
    services.photo_delete(actor=staff, photo=second)
    with pytest.raises(WorkflowError) as caught:
        services.photo_delete(actor=staff, photo=first)
    assert caught.value.code == "last_photo"


def test_only_drafts_are_deleted_with_their_files(staff, item, _media_root):
    services.photo_add(actor=staff, item=item, upload=upload())
    services.item_delete(actor=staff, item=item)
    assert not Item.objects.filter(pk=item.pk).exists()


#
# Impact factors
#
def test_a_manager_changes_factors_with_a_reason_in_history(manager):
    chair = Category.objects.get(key="office-chair")
    services.category_update_factors(actor=manager, category=chair, unit_co2e_kg=Decimal("40"), co2e_basis="sourced",
                            reason="ADEME 2026")

    chair.refresh_from_db()
    assert chair.unit_co2e_kg == Decimal("40") and chair.co2e_basis == "sourced"
    assert chair.unit_weight_kg == Decimal("11.9")  # untouched
    latest = chair.history.first()
    assert latest.history_user == manager and latest.history_change_reason == "ADEME 2026"


def test_only_department_managers_change_factors(viewer, staff):
    from django.core.exceptions import PermissionDenied

    chair = Category.objects.get(key="office-chair")
    for user in (viewer, staff):
        with pytest.raises(PermissionDenied):
            services.category_update_factors(actor=user, category=chair, unit_co2e_kg=Decimal("1"))
    assert Category.objects.get(key="office-chair").unit_co2e_kg == Decimal("35.7")


def test_factors_are_validated_and_limited_to_factor_fields(manager):
    from django.core.exceptions import ValidationError

    chair = Category.objects.get(key="office-chair")
    rows = chair.history.count()
    with pytest.raises(ValidationError):
        services.category_update_factors(actor=manager, category=chair, unit_weight_kg=Decimal("-1"))
    with pytest.raises(ValidationError):
        services.category_update_factors(actor=manager, category=chair, weight_basis="guess")
    with pytest.raises(TypeError):
        services.category_update_factors(actor=manager, category=chair, key="hacked")
    assert chair.history.count() == rows  # nothing written
    assert Category.objects.get(key="office-chair").unit_weight_kg == Decimal("11.9")
