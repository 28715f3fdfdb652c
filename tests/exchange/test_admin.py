"""The admin shows every exchange model and moves claims only through the services."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from exchange.models import Reservation
from inventory.models import Membership


@pytest.fixture
def admin_client_(client, db):
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "rebond-admin")
    client.force_login(admin)
    client.admin = admin
    return client


@pytest.mark.parametrize("model", ["reservation", "pickup", "tour", "need", "impactrecord", "notification"])
def test_every_exchange_model_has_an_admin_list(admin_client_, workflow, model):
    workflow.to("delivered")
    response = admin_client_.get(reverse(f"admin:exchange_{model}_changelist"))
    assert response.status_code == 200


def test_the_status_is_read_only_and_history_is_shown(admin_client_, workflow):
    reservation = workflow.to("approved")
    change = admin_client_.get(reverse("admin:exchange_reservation_change", args=[reservation.pk]))
    assert change.status_code == 200
    assert 'name="status"' not in change.content.decode()
    history = admin_client_.get(reverse("admin:exchange_reservation_history", args=[reservation.pk]))
    assert history.status_code == 200 and "Approved" in history.content.decode()


@pytest.mark.parametrize(("action", "status"), [("approve", "approved"), ("decline", "declined"),
                                                 ("cancel", "cancelled")])
def test_admin_actions_call_the_services(admin_client_, workflow, offered, action, status):
    reservation = workflow.claim(quantity=2)
    response = admin_client_.post(
        reverse("admin:exchange_reservation_changelist"),
        {"action": action, "_selected_action": [reservation.pk]},
    )
    assert response.status_code == 302
    reservation = Reservation.objects.get(pk=reservation.pk)
    assert reservation.status == status
    assert reservation.history.first().history_user == admin_client_.admin
    offered.refresh_from_db()
    assert offered.quantity_reserved == (2 if status == "approved" else 0)


def test_an_illegal_admin_action_changes_nothing(admin_client_, workflow):
    reservation = workflow.to("delivered")
    admin_client_.post(reverse("admin:exchange_reservation_changelist"),
                       {"action": "approve", "_selected_action": [reservation.pk]})
    assert Reservation.objects.get(pk=reservation.pk).status == "delivered"


def test_admin_actions_follow_reservation_actions_and_say_what_they_skipped(admin_client_, workflow, giver):
    """A superuser who is also a member of the claiming organisation is barred from approving
    (separation of duties) exactly as the pages and the API are."""
    reservation = workflow.claim()
    Membership.objects.create(user=admin_client_.admin, organisation=reservation.requester,
                              role=Membership.Role.VOLUNTEER)
    response = admin_client_.post(reverse("admin:exchange_reservation_changelist"),
                                  {"action": "approve", "_selected_action": [reservation.pk]}, follow=True,
                                  HTTP_ACCEPT_LANGUAGE="en")
    assert Reservation.objects.get(pk=reservation.pk).status == "requested"
    assert "not possible now" in response.content.decode()
