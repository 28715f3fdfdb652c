"""Invitations: who may invite, the e-mailed link (once, until it expires), revoke, resend."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from inventory import invitations
from inventory.errors import WorkflowError
from inventory.models import Invitation, Membership, SiteSettings
from inventory.services import site_settings_update
from tests.factories import OrganisationFactory, UserFactory

Role = Membership.Role
BASE = "https://rebond.example/"
PASSWORD = "Une-phrase-de-passe-longue-94"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def invite(actor, organisation, email="nouvelle@example.org", role=Role.STAFF, capture=None):
    if capture is not None:
        with capture(execute=True):
            return invitations.invitation_create(actor=actor, organisation=organisation, email=email, role=role,
                                                 base_url=BASE)
    return invitations.invitation_create(actor=actor, organisation=organisation, email=email, role=role,
                                         base_url=BASE)


def token_from(mail) -> str:
    return re.search(r"https://rebond\.example/invitations/([\w-]+)/", mail.body).group(1)


def test_the_link_creates_the_user_and_membership_once(manager, giver, mailoutbox, django_capture_on_commit_callbacks):
    invitation = invite(manager, giver, email="Nouvelle@Example.org", capture=django_capture_on_commit_callbacks)
    assert invitation.email == "nouvelle@example.org"
    assert invitation.token_hash not in mailoutbox[0].body  # only the token travels, only its hash is kept
    token = token_from(mailoutbox[0])
    assert mailoutbox[0].to == ["nouvelle@example.org"] and str(giver) in mailoutbox[0].body

    user = invitations.invitation_accept_new_account(token=token, password=PASSWORD)
    assert user.check_password(PASSWORD) and user.email == "nouvelle@example.org"
    assert Membership.objects.get(user=user, organisation=giver).role == Role.STAFF
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    assert invitation.history.first().history_change_reason == "Invitation accepted"
    with pytest.raises(WorkflowError) as error:
        invitations.invitation_accept_new_account(token=token, password=PASSWORD)
    assert error.value.code == "invalid_invitation"


def test_an_existing_account_is_never_taken_without_signing_in(manager, giver, association, mailoutbox,
                                                                django_capture_on_commit_callbacks):
    someone = UserFactory(username="someone", email="Someone@Example.org")
    invite(manager, association, email="someone@example.org", role=Role.VOLUNTEER,
           capture=django_capture_on_commit_callbacks)
    token = token_from(mailoutbox[0])

    with pytest.raises(WorkflowError) as error:  # the link alone is not the account's password
        invitations.invitation_accept_new_account(token=token, password=PASSWORD)
    assert error.value.code == "sign_in_first" and someone.check_password("rebond-test")
    with pytest.raises(PermissionDenied):  # signed in, but as another account
        invitations.invitation_accept(actor=UserFactory(email="other@example.org"), token=token)
    assert not Membership.objects.filter(organisation=association).exists()

    invitation = invitations.invitation_accept(actor=someone, token=token)  # the e-mail matches, in any case
    assert Membership.objects.get(user=someone, organisation=association).role == Role.VOLUNTEER
    assert invitation.accepted_at is not None and invitation.history.first().history_user == someone
    with pytest.raises(WorkflowError):
        invitations.invitation_accept(actor=someone, token=token)


def test_expired_link_does_not_work(manager, giver, mailoutbox, django_capture_on_commit_callbacks, settings):
    settings.REBOND_INVITATION_DAYS = 2
    invitation = invite(manager, giver, capture=django_capture_on_commit_callbacks)
    assert timedelta(days=1) < invitation.expires_at - timezone.now() <= timedelta(days=2)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(WorkflowError):
        invitations.invitation_accept_new_account(token=token_from(mailoutbox[0]), password=PASSWORD)
    assert not Membership.objects.filter(organisation=giver, user__email="nouvelle@example.org").exists()


def test_revoked_link_does_not_work_and_resend_replaces_the_link(manager, giver, mailoutbox,
                                                                 django_capture_on_commit_callbacks):
    invitation = invite(manager, giver, capture=django_capture_on_commit_callbacks)
    first = token_from(mailoutbox[0])
    with django_capture_on_commit_callbacks(execute=True):
        invitations.invitation_resend(actor=manager, invitation=invitation, base_url=BASE)
    second = token_from(mailoutbox[1])
    assert first != second and invitations.invitation_for_token(first) is None
    invitations.invitation_revoke(actor=manager, invitation=invitation)
    with pytest.raises(WorkflowError):
        invitations.invitation_accept_new_account(token=second, password=PASSWORD)
    with pytest.raises(WorkflowError):
        invitations.invitation_revoke(actor=manager, invitation=invitation)


def test_weak_password_is_refused_and_nothing_is_created(manager, giver, mailoutbox,
                                                         django_capture_on_commit_callbacks):
    invite(manager, giver, capture=django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError):
        invitations.invitation_accept_new_account(token=token_from(mailoutbox[0]), password="123")
    assert invitations.invitation_for_token(token_from(mailoutbox[0])) is not None  # still usable


def test_who_may_invite(staff, giver, association, volunteer, coordinator, viewer, manager):
    # staff: their own organisation, staff or volunteer only
    invite(staff, giver, email="a@example.org", role=Role.VOLUNTEER)
    with pytest.raises(PermissionDenied):
        invite(staff, giver, email="b@example.org", role=Role.MANAGER)
    with pytest.raises(PermissionDenied):
        invite(staff, association, email="c@example.org")
    for user in (volunteer, coordinator, viewer):
        with pytest.raises(PermissionDenied):
            invite(user, association, email="d@example.org", role=Role.VOLUNTEER)
    # managers: any organisation, any role
    invite(manager, OrganisationFactory(), email="e@example.org", role=Role.COORDINATOR)
    invitation = Invitation.objects.get(email="a@example.org")
    with pytest.raises(PermissionDenied):
        invitations.invitation_revoke(actor=volunteer, invitation=invitation)
    invitations.invitation_revoke(actor=staff, invitation=invitation)


def test_duplicates_are_refused(manager, staff, giver):
    with pytest.raises(WorkflowError) as error:
        invite(manager, giver, email=staff.email)
    assert error.value.code == "already_member"
    invite(manager, giver)
    with pytest.raises(WorkflowError) as error:
        invite(manager, giver)
    assert error.value.code == "already_invited"


def test_site_settings_defaults_and_update(manager, staff, settings):
    settings.REBOND_CLAIM_EXPIRY_DAYS = 11
    assert SiteSettings.current().claim_expiry_days == 11 and SiteSettings.current().pk is None
    with pytest.raises(PermissionDenied):
        site_settings_update(actor=staff, claim_expiry_days=3, internal_first_days=1)
    with pytest.raises(ValidationError):
        site_settings_update(actor=manager, claim_expiry_days=0, internal_first_days=1)
    site_settings_update(actor=manager, claim_expiry_days=5, internal_first_days=2)
    site_settings_update(actor=manager, claim_expiry_days=6, internal_first_days=2)
    assert SiteSettings.objects.count() == 1
    assert (SiteSettings.current().claim_expiry_days, SiteSettings.current().internal_first_days) == (6, 2)


def test_admin_lists_invitations_read_only(admin_client, manager, giver):
    invite(manager, giver)
    assert admin_client.get("/admin/inventory/invitation/").status_code == 200
    assert admin_client.get("/admin/inventory/invitation/add/").status_code == 403
    assert admin_client.get("/admin/inventory/sitesettings/").status_code == 200
