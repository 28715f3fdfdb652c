"""Needs: publishing, matching new items (sub-categories included), being met, closing."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from exchange import selectors, services
from exchange.models import Need, Notification
from inventory import services as inventory_services
from inventory.errors import WorkflowError
from inventory.models import Category, Membership
from tests.factories import AssociationFactory, AvailableItemFactory, ItemFactory, NeedFactory, member, upload

Role = Membership.Role


def _publish(item, staff, django_capture_on_commit_callbacks):
    inventory_services.photo_add(actor=staff, item=item, upload=upload())
    with django_capture_on_commit_callbacks(execute=True):
        return inventory_services.item_publish(actor=staff, item=item)


def test_a_member_publishes_a_need_with_history(volunteer, association):
    need = services.need_create(
        actor=volunteer, organisation=association, category=Category.objects.get(key="furniture"), quantity=10,
        description="Pour la salle d'activités", beneficiary="seniors",
        deadline=timezone.localdate() + timedelta(days=30),
    )
    assert (need.status, need.quantity_met, need.created_by) == ("open", 0, volunteer)
    row = need.history.get()
    assert row.history_user == volunteer and row.history_change_reason == "Need published"


def test_needs_are_published_only_by_members(viewer, association, staff):
    furniture = Category.objects.get(key="furniture")
    for actor in (viewer, staff):  # a département viewer; staff of another organisation
        with pytest.raises(PermissionDenied):
            services.need_create(actor=actor, organisation=association, category=furniture, quantity=1,
                                 description="", beneficiary="seniors")
    assert not Need.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"quantity": 0}, "quantity"), ({"beneficiary": "pets"}, "beneficiary"),
     ({"deadline": timezone.localdate() - timedelta(days=1)}, "deadline")],
)
def test_invalid_needs_are_refused(volunteer, association, changes, field):
    values = {"category": Category.objects.get(key="furniture"), "quantity": 1, "description": "",
              "beneficiary": "seniors", **changes}
    with pytest.raises(ValidationError) as error:
        services.need_create(actor=volunteer, organisation=association, **values)
    assert field in error.value.message_dict


def test_publishing_an_item_announces_it_to_matching_open_needs(
    giver, staff, association, volunteer, coordinator, django_capture_on_commit_callbacks,
):
    furniture, it = Category.objects.get(key="furniture"), Category.objects.get(key="it")
    matching = NeedFactory(organisation=association, category=furniture)  # parent of office-chair
    exact = NeedFactory(category=Category.objects.get(key="office-chair"))
    NeedFactory(category=it)  # another category
    NeedFactory(organisation=giver, category=furniture)  # the giver's own need
    NeedFactory(category=furniture, status="closed")
    NeedFactory(category=furniture, deadline=timezone.localdate() - timedelta(days=1))
    other_member = member(exact.organisation, Role.COORDINATOR)
    item = ItemFactory(owner=giver)

    _publish(item, staff, django_capture_on_commit_callbacks)

    notified = Notification.objects.filter(kind="need_matched")
    assert {(n.user, n.object_id) for n in notified} == {
        (volunteer, matching.pk), (coordinator, matching.pk), (other_member, exact.pk),
    }
    assert {m.to[0] for m in mail.outbox} == {volunteer.email, coordinator.email, other_member.email}


def test_medical_items_are_announced_only_to_certified_refurbishers(giver, staff, django_capture_on_commit_callbacks):
    mobility = Category.objects.get(key="mobility")
    refurbisher = AssociationFactory(is_certified_refurbisher=True)
    member(refurbisher, Role.VOLUNTEER)
    member(AssociationFactory(), Role.VOLUNTEER)
    certified = NeedFactory(organisation=refurbisher, category=mobility)
    NeedFactory(category=mobility)
    item = ItemFactory(owner=giver, category=Category.objects.get(key="wheelchair"))

    _publish(item, staff, django_capture_on_commit_callbacks)

    assert set(Notification.objects.values_list("object_id", flat=True)) == {certified.pk}


def test_a_need_is_met_when_its_quantity_is_delivered(workflow, association):
    need = NeedFactory(organisation=association, quantity=3)
    first = workflow.to("delivered", quantity=2, need=need)
    need.refresh_from_db()
    assert (need.quantity_met, need.status) == (2, "open")
    assert first.need == need
    workflow.to("delivered", quantity=1, need=need)
    need.refresh_from_db()
    assert (need.quantity_met, need.status) == (3, "met")
    assert need.history.first().history_change_reason.startswith("1 unit(s) delivered")


def test_a_claim_cannot_name_a_closed_need(workflow, association):
    need = NeedFactory(organisation=association, status="met")
    with pytest.raises(ValidationError):
        workflow.claim(need=need)


def test_need_matches_lists_available_items_of_the_category_tree(giver, association):
    need = NeedFactory(organisation=association, category=Category.objects.get(key="furniture"))
    chair = AvailableItemFactory(owner=giver)
    desk = AvailableItemFactory(owner=giver, category=Category.objects.get(key="desk-table"))
    AvailableItemFactory(owner=giver, category=Category.objects.get(key="laptop"))
    ItemFactory(owner=giver)  # a draft
    AvailableItemFactory(owner=association)  # the association's own
    assert set(selectors.need_matches(need)) == {chair, desk}


def test_closing_a_need(volunteer, association, staff):
    need = NeedFactory(organisation=association)
    with pytest.raises(PermissionDenied):
        services.need_close(actor=staff, need=need)
    closed = services.need_close(actor=volunteer, need=need)
    assert closed.status == "closed" and closed.history.first().history_user == volunteer
    with pytest.raises(WorkflowError) as error:
        services.need_close(actor=volunteer, need=need)
    assert error.value.code == "invalid_transition"
