"""The département's onboarding pages and the invitation link."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from inventory.models import Invitation, Membership, Organisation, SiteSettings

from .conftest import signed_in as _signed_in

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
PASSWORD = "Une-phrase-de-passe-longue-94"


@pytest.fixture(autouse=True)
def _english(client):
    # Pages are compared in the source language, whatever the catalogues say.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def signed_in(user):
    client = _signed_in(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def upload(name: str, data: bytes | None = None):
    return SimpleUploadedFile(name, data if data is not None else (SAMPLES / name).read_bytes(), "text/csv")


def test_import_preview_then_confirm(manager, _media_root):
    client = signed_in(manager)
    before = Organisation.objects.count()
    response = client.post("/department/organisations/import/", {"file": upload("finess_etablissements_94.csv")})
    assert response.status_code == 200
    page = response.content.decode()
    assert "6 to create, 0 to update, 3 skipped, 1 rejected." in page and "EHPAD LES MAGNOLIAS" in page
    assert "Broken line" in page
    assert Organisation.objects.count() == before  # the preview writes nothing
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    assert list((_media_root / "imports").iterdir())  # kept server-side

    # another manager cannot confirm someone else's preview
    from tests.factories import member

    other = member(manager.memberships.get().organisation, Membership.Role.MANAGER, username="other-manager")
    response = signed_in(other).post("/department/organisations/import/", {"token": token}, follow=True)
    assert "expired" in response.content.decode() and Organisation.objects.count() == before

    response = client.post("/department/organisations/import/", {"token": token}, follow=True)
    assert "6 organisations created" in response.content.decode()
    assert Organisation.objects.filter(kind="care_home").count() == 6
    assert not list((_media_root / "imports").iterdir())  # the kept file is removed


def test_unconfirmed_previews_are_removed_after_an_hour(manager, _media_root):
    import os
    import time

    client = signed_in(manager)
    client.post("/department/organisations/import/", {"file": upload("annuaire_education_94.csv")})
    [old] = (_media_root / "imports").iterdir()
    an_hour_ago = time.time() - 3700
    os.utime(old, (an_hour_ago, an_hour_ago))
    client.post("/department/organisations/import/", {"file": upload("annuaire_education_94.csv")})
    assert old not in list((_media_root / "imports").iterdir())
    assert len(list((_media_root / "imports").iterdir())) == 1


def test_import_malformed_file_shows_the_report(manager):
    response = signed_in(manager).post("/department/organisations/import/", {"file": upload("x.csv", b"a;b\n1;2\n")})
    page = response.content.decode()
    assert response.status_code == 200 and "Columns are missing" in page and 'name="token"' not in page


@pytest.mark.parametrize("url", [
    "/department/organisations/", "/department/organisations/import/", "/department/settings/",
])
def test_department_pages_are_for_managers(url, staff, viewer, manager):
    assert signed_in(staff).get(url).status_code == 403
    assert signed_in(viewer).get(url).status_code == 403
    assert signed_in(manager).get(url).status_code == 200


def test_organisation_edit_sets_partner_flags(manager, association):
    client = signed_in(manager)
    response = client.post(f"/department/organisations/{association.pk}/", {
        "name": association.name, "legal_status": association.legal_status, "is_reuse_partner": "on",
        "is_esus": "on",
    })
    assert response.status_code == 302
    association.refresh_from_db()
    assert association.is_reuse_partner and association.is_esus and not association.is_arup
    assert association.history.first().history_user == manager  # through organisation_update


def test_settings_page_saves_the_delays(manager):
    client = signed_in(manager)
    response = client.post("/department/settings/", {"claim_expiry_days": "0", "internal_first_days": "1"})
    assert response.status_code == 200
    assert not SiteSettings.objects.exists()
    client.post("/department/settings/", {"claim_expiry_days": "10", "internal_first_days": "3"})
    assert (SiteSettings.current().claim_expiry_days, SiteSettings.current().internal_first_days) == (10, 3)


def test_staff_invite_a_volunteer_who_accepts(staff, giver, association, mailoutbox, client,
                                              django_capture_on_commit_callbacks):
    page = signed_in(staff)
    response = page.get("/invitations/")
    assert 'value="manager"' not in response.content.decode()  # staff offer staff/volunteer only
    assert str(association) not in response.content.decode()  # and their own organisation only
    with django_capture_on_commit_callbacks(execute=True):
        response = page.post("/invitations/", {"email": "nina@example.org", "organisation": giver.pk,
                                                "role": "volunteer"})
    assert response.status_code == 302
    assert "<td>nina@example.org</td>" in page.get("/invitations/").content.decode()
    link = re.search(r"http://testserver(/invitations/[\w-]+/)", mailoutbox[0].body).group(1)

    response = client.post(link, {"first_name": "Nina", "password1": "short", "password2": "short"})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    response = client.post(link, {"first_name": "Nina", "last_name": "Roux", "password1": PASSWORD,
                                  "password2": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").context["user"].email == "nina@example.org"
    membership = Membership.objects.select_related("user").get(user__email="nina@example.org")
    assert membership.role == "volunteer" and membership.user.get_full_name() == "Nina Roux"
    assert client.get(link).status_code == 410  # once


@pytest.fixture
def invited_account(manager, association, mailoutbox, django_capture_on_commit_callbacks):
    """An existing account invited to the association; returns it and the e-mailed link."""
    from inventory import invitations
    from tests.factories import UserFactory

    account = UserFactory(username="nina", email="Nina.Roux@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        invitations.invitation_create(actor=manager, organisation=association, email="nina.roux@example.org",
                                      role="volunteer", base_url="http://testserver/")
    return account, re.search(r"http://testserver(/invitations/[\w-]+/)", mailoutbox[0].body).group(1)


def test_the_link_never_signs_an_existing_account_in(invited_account, association, client):
    account, link = invited_account
    for response in (client.get(link), client.post(link), client.post(link, {
        "first_name": "Mallory", "password1": PASSWORD, "password2": PASSWORD,
    })):
        assert response.status_code == 302 and response["Location"] == f"/accounts/login/?next={link}"
        assert "_auth_user_id" not in client.session
    assert not Membership.objects.filter(organisation=association).exists()
    assert Invitation.objects.get().accepted_at is None
    account.refresh_from_db()
    assert account.check_password("rebond-test") and account.first_name != "Mallory"

    page = client.get(f"/accounts/login/?next={link}").content.decode()
    assert "sign in with its password, then accept the invitation" in page  # says why
    assert f'name="next" value="{link}"' in page


def test_an_existing_account_signs_in_with_its_password_then_accepts(invited_account, association, client):
    account, link = invited_account
    response = client.post("/accounts/login/", {"username": "nina", "password": "rebond-test", "next": link})
    assert response.status_code == 302 and response["Location"] == link
    page = client.get(link)
    assert page.status_code == 200 and "accepting adds this organisation to it" in page.content.decode()
    assert not Membership.objects.filter(organisation=association).exists()  # a GET accepts nothing

    response = client.post(link)
    assert response.status_code == 302 and response["Location"] == "/"
    assert Membership.objects.get(user=account, organisation=association).role == "volunteer"
    assert Invitation.objects.get().accepted_at is not None
    assert client.get(link).status_code == 410  # once


def test_another_signed_in_account_cannot_accept(invited_account, association, volunteer):
    _, link = invited_account
    client = signed_in(volunteer)
    for response in (client.get(link), client.post(link)):
        assert response.status_code == 403
        assert "This invitation is for another e-mail address" in response.content.decode()
    assert not Membership.objects.filter(organisation=association, user__username="nina").exists()
    assert Invitation.objects.get().accepted_at is None


def test_revoke_and_resend_buttons(manager, giver, mailoutbox, django_capture_on_commit_callbacks, volunteer):
    page = signed_in(manager)
    with django_capture_on_commit_callbacks(execute=True):
        page.post("/invitations/", {"email": "x@example.org", "organisation": giver.pk, "role": "staff"})
    invitation = Invitation.objects.get()
    assert signed_in(volunteer).post(f"/invitations/{invitation.pk}/revoke/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        page.post(f"/invitations/{invitation.pk}/resend/")
    assert len(mailoutbox) == 2
    page.post(f"/invitations/{invitation.pk}/revoke/")
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert "<td>x@example.org</td>" not in page.get("/invitations/").content.decode()


def test_unknown_link_is_a_clear_page(client, db):
    response = client.get("/invitations/not-a-token/")
    assert response.status_code == 410 and "no longer valid" in response.content.decode()


def test_volunteers_cannot_invite(volunteer):
    assert signed_in(volunteer).get("/invitations/").status_code == 403


def test_organisations_and_invitations_pages_query_count_does_not_grow(manager, giver):
    from inventory import invitations as service
    from tests.factories import OrganisationFactory

    client = signed_in(manager)

    def queries(url):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    service.invitation_create(actor=manager, organisation=giver, email="a@example.org", role="staff",
                              base_url="http://testserver/")
    before = queries("/department/organisations/"), queries("/invitations/")
    for n in range(5):
        organisation = OrganisationFactory()
        service.invitation_create(actor=manager, organisation=organisation, email=f"b{n}@example.org",
                                  role="staff", base_url="http://testserver/")
    assert (queries("/department/organisations/"), queries("/invitations/")) == before
