import io
import json

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db.models import Sum

from accounts.models import ApiToken
from accounts.tokens import token_issue
from exchange import privacy
from exchange.models import ImpactRecord, Notification, Reservation
from inventory.models import Membership


@pytest.fixture
def delivered(workflow):
    return workflow.to("delivered")


@pytest.fixture
def person(volunteer):
    """The volunteer who made the claim, collected and delivered it."""
    return volunteer


def _totals():
    return ImpactRecord.objects.aggregate(kg=Sum("kg"), co2e=Sum("co2e_kg"), eur=Sum("value_eur"))


def test_export_lists_what_rebond_holds_about_the_person(delivered, person):
    out = io.StringIO()
    call_command("export_user_data", person.username, stdout=out)
    data = json.loads(out.getvalue())
    assert data["account"]["email"] == person.email
    assert [m["role"] for m in data["memberships"]] == ["volunteer"]
    assert [c["id"] for c in data["claims_made"]] == [delivered.pk]


def test_erasure_anonymises_but_keeps_claims_history_and_impact(delivered, person, client):
    before = _totals()
    history_rows = Reservation.history.filter(history_user=person).count()
    assert history_rows > 0 and before["kg"] is not None
    token_issue(user=person)
    client.force_login(person)

    call_command("erase_user", person.username, "--yes", stdout=io.StringIO())

    person.refresh_from_db()
    assert person.username == f"erased-{person.pk}" and privacy.is_erased(person)
    assert (person.email, person.first_name, person.last_name) == ("", "", "")
    assert authenticate(username=f"erased-{person.pk}", password="rebond-test") is None
    assert not Membership.objects.filter(user=person).exists()
    assert not ApiToken.objects.filter(user=person).exists()
    assert not Notification.objects.filter(user=person).exists()
    assert client.get("/").status_code == 302  # the open session is gone
    # What the département reports does not move.
    assert _totals() == before
    assert Reservation.objects.get(pk=delivered.pk).requested_by_id == person.pk
    assert Reservation.history.filter(history_user=person).count() == history_rows


def test_only_the_person_or_an_administrator_may_erase(coordinator, volunteer):
    with pytest.raises(PermissionDenied):
        privacy.user_erase(actor=volunteer, user=coordinator)
    privacy.user_erase(actor=coordinator, user=coordinator)
    assert privacy.is_erased(coordinator.__class__.objects.get(pk=coordinator.pk))
