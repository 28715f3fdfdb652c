"""Onboarding in a real browser: a manager imports the sample FINESS and Annuaire files through
the page (preview, then confirm), invites a staff member of an imported EHPAD; the e-mailed
link lets that person choose a password and land on their home page."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from inventory.models import Membership, Organisation
from tests.factories import DepartmentFactory, member

pytestmark = pytest.mark.e2e
SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
VIEWPORT = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}  # invitations are mostly opened from a phone's mail app


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_manager_imports_then_invites_staff_who_joins(browser, live_server, shoot, mailoutbox):
    member(DepartmentFactory(name="Département du Val-de-Marne"), "manager", username="martine")
    context = browser.new_context(viewport=VIEWPORT, locale="en-US")
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    page.fill("#id_username", "martine")
    page.fill("#id_password", "rebond-test")
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/")

    page.get_by_role("link", name="Département").click()
    shoot(page, "organisations-before")
    for name, created in (("finess_etablissements_94.csv", 6), ("annuaire_education_94.csv", 6)):
        page.goto(f"{live_server.url}/department/organisations/import/")
        before = Organisation.objects.count()
        page.set_input_files("#id_file", str(SAMPLES / name))
        page.get_by_role("button", name="Preview the import").click()
        expect(page.locator("#plan-counts")).to_contain_text(f"{created} to create, 0 to update")
        shoot(page, f"preview-{name[:7]}")
        assert Organisation.objects.count() == before  # the preview wrote nothing
        page.get_by_role("button", name="Confirm the import").click()
        expect(page.locator("#messages")).to_contain_text(f"{created} organisations created")
    assert Organisation.objects.filter(kind="care_home").count() == 6
    assert Organisation.objects.filter(kind="school").count() == 6
    expect(page.get_by_role("link", name="EHPAD LES MAGNOLIAS")).to_be_visible()
    shoot(page, "organisations-after")

    ehpad = Organisation.objects.get(finess="940000011")
    page.get_by_role("link", name="Invitations").first.click()
    page.fill("#id_email", "claire.martin@example.org")
    page.select_option("#id_organisation", str(ehpad.pk))
    page.select_option("#id_role", "staff")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator("table")).to_contain_text("claire.martin@example.org")
    shoot(page, "invitations")

    [mail] = mailoutbox
    assert mail.to == ["claire.martin@example.org"]
    link = re.search(r"https?://\S+/invitations/[\w-]+/", mail.body).group(0)

    newcomer = browser.new_context(viewport=PHONE, locale="en-US").new_page()
    newcomer.goto(link)
    expect(newcomer.locator("h1")).to_contain_text("EHPAD LES MAGNOLIAS")
    shoot(newcomer, "accept")
    newcomer.fill("#id_first_name", "Claire")
    newcomer.fill("#id_last_name", "Martin")
    newcomer.fill("#id_password1", "Une-phrase-de-passe-longue-94")
    newcomer.fill("#id_password2", "Une-phrase-de-passe-longue-94")
    newcomer.get_by_role("button", name="Accept the invitation").click()
    newcomer.wait_for_url(f"{live_server.url}/")
    expect(newcomer.locator("h1")).to_have_text("Hello Claire")
    expect(newcomer.locator("main")).to_contain_text("EHPAD LES MAGNOLIAS (Staff)")
    expect(newcomer.get_by_role("link", name="Offer an item")).to_be_visible()
    shoot(newcomer, "newcomer-home")
    assert Membership.objects.get(user__email="claire.martin@example.org").organisation == ehpad

    newcomer.goto(link)  # works once
    expect(newcomer.locator("h1")).to_contain_text("no longer valid")
