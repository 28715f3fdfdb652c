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


#
# The export lists everything; erasure removes the address everywhere it was copied
#
@pytest.fixture
def invited(manager, giver, person):
    """An invitation ``person`` sent (as staff of the giver too) and one sent to ``person``."""
    from inventory import invitations

    Membership.objects.create(user=person, organisation=giver, role=Membership.Role.STAFF)
    sent = invitations.invitation_create(actor=person, organisation=giver, email="collegue@ehpad.fr",
                                         role=Membership.Role.STAFF, base_url="http://testserver/")
    received = invitations.invitation_create(actor=manager, organisation=manager.memberships.first().organisation,
                                             email=person.email.upper(), role=Membership.Role.VIEWER,
                                             base_url="http://testserver/")
    return sent, received


def test_export_lists_invitations_history_pickups_tours_and_transfer_records(delivered, person, invited, coordinator):
    from exchange.models import Pickup, TransferRecord

    Pickup.objects.filter(reservations=delivered).update(created_by=person)
    data = privacy.personal_data(person)

    assert [i["email"] for i in data["invitations_sent"]] == ["collegue@ehpad.fr"]
    assert [i["role"] for i in data["invitations_received"]] == ["viewer"]
    assert "email" not in data["invitations_received"][0]
    authored = {(entry["model"], entry["change"]) for entry in data["history_authored"]}
    assert ("réservation", "created") in authored or ("reservation", "created") in authored
    assert any(entry["reason"] == "Invitation sent" for entry in data["history_authored"])
    assert [p["id"] for p in data["pickups_created"]] == [delivered.pickup_id]
    signed = TransferRecord.objects.filter(issued_by=person)
    assert [r["number"] for r in data["transfer_records_signed"]] == [r.number for r in signed] and signed
    assert data["retained_after_erasure"][0]["why"]
    json.dumps(data)  # JSON-ready


def test_export_lists_the_tours_the_person_created(coordinator, association):
    from exchange.models import Tour

    tour = Tour.objects.create(date="2026-12-01", organisation=association, created_by=coordinator,
                               capacity_kg=500, capacity_m3=8)

    assert privacy.personal_data(coordinator)["tours_created"] == [{"id": tour.pk, "date": "2026-12-01"}]


def test_erasure_removes_the_invited_address_and_its_history_copies(person, invited):
    from accounts.emails import Method, email_verify
    from accounts.models import VerifiedEmail
    from inventory.models import Invitation

    _, received = invited
    address = person.email
    email_verify(user=person, method=Method.INVITATION)

    privacy.user_erase(actor=person, user=person)

    received.refresh_from_db()
    assert received.email == ""
    assert not Invitation.history.filter(email__iexact=address).exists()
    assert Invitation.history.filter(id=received.pk).count() >= 2  # the history stays, without the address
    assert not VerifiedEmail.objects.filter(user=person).exists()
    assert Invitation.objects.filter(email="collegue@ehpad.fr").exists()  # another person's address stays
