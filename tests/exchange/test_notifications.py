"""Notifications: who is told what, and the e-mails that follow the commit."""

import pytest
from django.core import mail
from django.db import transaction

from exchange.models import Notification
from inventory.models import Membership
from tests.factories import member

Role = Membership.Role


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"  # the texts are checked in their source language


def test_a_claim_notifies_the_givers_staff_and_mails_after_commit(
    workflow, staff, giver, django_capture_on_commit_callbacks,
):
    colleague = member(giver, Role.STAFF)
    with django_capture_on_commit_callbacks() as callbacks:
        reservation = workflow.claim(quantity=2, purpose="Pour l'accueil de jour")
    rows = Notification.objects.filter(kind="claim_created")
    assert {n.user for n in rows} == {staff, colleague}
    assert {(n.object_type, n.object_id) for n in rows} == {("reservation", reservation.pk)}
    assert rows[0].message == f"Recyclerie du Val claims 2 × {reservation.item}."
    assert mail.outbox == []  # not before commit

    for callback in callbacks:
        callback()

    assert sorted(m.to[0] for m in mail.outbox) == sorted([staff.email, colleague.email])
    message = mail.outbox[0]
    assert message.subject == f"Rebond: Recyclerie du Val claims 2 × {reservation.item}."
    assert "Pour l'accueil de jour" in message.body and "approve or decline" in message.body


def test_approval_and_decline_tell_the_claimant_and_the_coordinators(
    workflow, volunteer, coordinator, django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        approved = workflow.to("approved")
        declined = workflow.to("declined")
    approvals = Notification.objects.filter(kind="claim_approved", object_id=approved.pk)
    assert {n.user for n in approvals} == {volunteer, coordinator}
    declines = Notification.objects.filter(kind="claim_declined", object_id=declined.pk)
    assert {n.user for n in declines} == {volunteer, coordinator}
    declined_mail = [m for m in mail.outbox if "declined" in m.subject]
    assert len(declined_mail) == 2 and "Reason: Déjà promis" in declined_mail[0].body
    assert all(approved.handover_code not in m.body for m in mail.outbox)  # the code is given on site


def test_pickup_volunteers_are_notified(workflow, volunteer, django_capture_on_commit_callbacks):
    reservation = workflow.to("approved")
    with django_capture_on_commit_callbacks(execute=True):
        scheduled = workflow.step(reservation, "schedule")
    (notification,) = Notification.objects.filter(kind="pickup_assigned")
    assert (notification.user, notification.object_type, notification.object_id) == (
        volunteer, "pickup", scheduled.pickup_id,
    )
    (message,) = [m for m in mail.outbox if m.to == [volunteer.email]]
    assert "EHPAD Les Tilleuls" in message.body and "Time window" in message.body


def test_users_without_an_address_get_the_notification_but_no_mail(
    workflow, giver, staff, django_capture_on_commit_callbacks,
):
    staff.email = ""
    staff.save()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.claim()
    assert Notification.objects.filter(user=staff).count() == 1
    assert mail.outbox == []


def test_nothing_is_kept_or_sent_when_the_claim_rolls_back(workflow, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            workflow.claim()
            raise RuntimeError
    assert not Notification.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize("kind", Notification.Kind.values)
def test_every_kind_has_its_template(kind):
    from django.template.loader import get_template

    assert get_template(f"exchange/email/{kind}.txt")
