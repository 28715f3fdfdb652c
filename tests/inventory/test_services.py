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
