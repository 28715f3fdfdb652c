"""For every role and status, the buttons on the pages are exactly
``selectors.reservation_actions`` — and the API's ``allowed_actions`` says the same."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from exchange import selectors
from inventory.models import Membership
from tests.factories import member

Role = Membership.Role

# status: {role: actions}; "dual" is staff of the giver and volunteer of the claiming association.
# fmt: off
EXPECTED = {
    "requested": {"staff": ["approve", "decline", "cancel"], "volunteer": ["cancel"], "coordinator": ["cancel"],
                  "viewer": [], "dual": ["decline", "cancel"]},
    "approved":  {"staff": ["cancel"], "volunteer": ["cancel"], "coordinator": ["cancel"], "viewer": [],
                  "dual": ["cancel"]},
    "scheduled": {"staff": ["cancel"], "volunteer": ["collect", "cancel"], "coordinator": ["collect", "cancel"],
                  "viewer": [], "dual": ["cancel"]},
    "collected": {"staff": [], "volunteer": ["deliver"], "coordinator": ["deliver"], "viewer": [],
                  "dual": ["deliver"]},
    "delivered": {"staff": ["return"], "volunteer": [], "coordinator": [], "viewer": [], "dual": ["return"]},
    "returned":  {"staff": [], "volunteer": [], "coordinator": [], "viewer": [], "dual": []},
    "declined":  {"staff": [], "volunteer": [], "coordinator": [], "viewer": [], "dual": []},
    "cancelled": {"staff": [], "volunteer": [], "coordinator": [], "viewer": [], "dual": []},
    "expired":   {"staff": [], "volunteer": [], "coordinator": [], "viewer": [], "dual": []},
}
# fmt: on
TAB = {"requested": "active", "approved": "active", "scheduled": "active", "collected": "active",
       "delivered": "done", "returned": "done", "declined": "closed", "cancelled": "closed", "expired": "closed"}


def _pages(role, reservation):
    """The pages on which ``role`` meets the reservation."""
    tab = TAB[reservation.status]
    pages = []
    if role in ("staff", "dual"):
        pages += [f"{reverse('claims')}?tab={tab}", reverse("item_detail", args=[reservation.item_id])]
    if role in ("volunteer", "coordinator", "dual"):
        pages.append(f"{reverse('my_reservations')}?tab={tab}")
    if role == "coordinator" and reservation.status in ("requested", "approved"):
        pages.append(reverse("association_claims"))
    if role in ("volunteer", "coordinator") and reservation.pickup_id:
        day = timezone.localtime(reservation.pickup.window_start).date()
        pages.append(f"{reverse('my_pickups')}?date={day.isoformat()}")
    return pages


@pytest.mark.parametrize("status", list(EXPECTED))
@pytest.mark.parametrize("role", ["staff", "volunteer", "coordinator", "viewer", "dual"])
def test_buttons_are_exactly_the_allowed_actions(
    request, client, workflow, giver, association, status, role, django_capture_on_commit_callbacks,
):
    if role == "dual":
        user = member(giver, Role.STAFF, username="dual")
        Membership.objects.create(user=user, organisation=association, role=Role.VOLUNTEER)
    else:
        user = request.getfixturevalue(role)
    loan = {"mode": "loan", "return_by": timezone.localdate() + timedelta(days=30)}
    reservation = workflow.to(status, **(loan if status in ("delivered", "returned") else {}))
    reservation.refresh_from_db()

    actions = selectors.reservation_actions(user, reservation)
    assert actions == EXPECTED[status][role]

    client.force_login(user)
    for page in _pages(role, reservation):
        html = client.get(page).content.decode()
        assert reservation.item.title in html, page
        assert re.findall(r'data-action="([a-z]+)"', html) == actions, page

    api = APIClient()
    api.force_authenticate(user)
    response = api.get(f"/api/v1/reservations/{reservation.pk}/")
    if role == "viewer" or response.status_code == 200:
        assert response.json()["allowed_actions"] == actions
