"""The legal notice, the privacy notice and the accessibility statement: open to everyone, in
French and English, linked from every page's footer, and saying what the code does."""

import datetime as dt
import json

import pytest
from django.test import override_settings
from django.urls import reverse

from exchange.privacy import RETAINED
from frontend import accessibility, legal

LEGAL_PAGES = ["legal_notice", "privacy", "accessibility", "accessibility_plan"]


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("name", LEGAL_PAGES)
def test_legal_pages_open_to_everyone_in_both_languages(client, db, name, language):
    response = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert f'<html lang="{language}">' in response.content.decode()


@pytest.mark.parametrize(("language", "words"), [
    ("fr", ["Accessibilité : non conforme", "Mentions légales", "Données personnelles et cookies"]),
    ("en", ["Accessibility: not conforming", "Legal notice", "Privacy and cookies"]),
])
def test_every_page_footer_links_the_statement_with_its_status_the_notice_and_privacy(
        client, staff, language, words):
    client.force_login(staff)
    for name in ["home", "my_items", "legal_notice"]:
        body = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE=language).content.decode()
        footer = body[body.index('<footer'):]
        for word in words:
            assert word in footer, (name, word)
        for target in ["accessibility", "legal_notice", "privacy"]:
            assert f'href="{reverse(target)}"' in footer


@override_settings(REBOND_LEGAL_EDITOR="Département de l'Essonne", REBOND_LEGAL_DIRECTOR="M. Le Président",
                   REBOND_LEGAL_HOST="Hébergeur SecNumCloud, 1 rue du Nuage", REBOND_DPO_CONTACT="dpo@essonne.example")
def test_the_notices_name_the_departement_from_its_settings(client, db):
    notice = client.get(reverse("legal_notice")).content.decode()
    assert "Département de l&#x27;Essonne" in notice and "M. Le Président" in notice
    assert "Hébergeur SecNumCloud" in notice
    assert "dpo@essonne.example" in client.get(reverse("privacy")).content.decode()


def test_privacy_notice_states_the_retention_that_erasure_applies(client, db, settings):
    body = client.get(reverse("privacy"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # The transfer records' 10 years are read from exchange.privacy, which the "My data" page shows too.
    assert str(RETAINED[0]["how_long"]) in body
    assert "public interest" in body and "6(1)(e)" in body
    assert reverse("my_data") in body
    settings.SESSION_COOKIE_AGE = 8 * 3600
    assert "8 hours" in client.get(reverse("privacy"), HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_privacy_notice_lists_every_necessary_cookie(client, db):
    body = client.get(reverse("privacy")).content.decode()
    for name in legal.necessary_cookie_names():
        assert f"<code>{name}</code>" in body
    assert {"sessionid", "csrftoken", "django_language", "rebond_device", "messages"} == legal.necessary_cookie_names()


def test_cookies_set_while_signing_in_and_using_the_pages_are_the_necessary_ones(client, staff, offered):
    """The cookies the server sends (Set-Cookie) on a visit: sign-in, a few pages, a language
    change, an action with a message. The browser suite checks the same in Chromium."""
    seen = set()

    def visit(response):
        seen.update(response.cookies.keys())
        return response

    visit(client.get(reverse("login")))
    visit(client.post(reverse("login"), {"username": "staff", "password": "rebond-test"}))
    for name in ["home", "my_items", "catalogue", "claims", "privacy"]:
        assert visit(client.get(reverse(name))).status_code == 200
    visit(client.post(reverse("set_language"), {"language": "en", "next": "/"}))
    visit(client.post(reverse("item_withdraw", args=[offered.pk]), {"reason": "Plus disponible"}))
    visit(client.get(reverse("my_items")))
    visit(client.post(reverse("logout")))
    assert seen <= legal.necessary_cookie_names(), seen - legal.necessary_cookie_names()
    assert {"sessionid", "csrftoken", "django_language", "rebond_device", "messages"} <= seen


def write(folder, name, data):
    (folder / name).write_text(json.dumps(data), encoding="utf-8")


@pytest.fixture
def statement_files(tmp_path, monkeypatch):
    monkeypatch.setattr(accessibility, "AUDIT_FILE", tmp_path / "audit.json")
    monkeypatch.setattr(accessibility, "MANUAL_FILE", tmp_path / "manual.json")
    return tmp_path


def every_rule():
    return sorted({rule for rules in accessibility.AUTOMATED.values() for rule in rules})


def test_statement_counts_criteria_from_the_audit_and_the_manual_file(statement_files):
    write(statement_files, "audit.json", {"date": "2026-11-30", "rules_passed": every_rule(), "rules_failed": []})
    manual = {c: {"status": "C"} for c in accessibility.CRITERIA if c not in accessibility.AUTOMATED}
    write(statement_files, "manual.json", {"date": "2026-12-01", "criteria": manual})
    data = accessibility.statement()
    assert (data["status"], data["rate"], data["date"]) == ("total", 100.0, dt.date(2026, 12, 1))
    assert len(accessibility.CRITERIA) == 106

    # One failed rule makes its criterion not met; a criterion nobody checked forces "non conforme".
    write(statement_files, "audit.json", {"date": "2026-11-30", "rules_passed": every_rule()[1:],
                                          "rules_failed": every_rule()[:1]})
    data = accessibility.statement()
    assert data["status"] == "partial" and data["counts"]["NC"] == 1 and data["rate"] == round(100 * 105 / 106, 1)
    del manual["13.3"]
    write(statement_files, "manual.json", {"date": "2026-12-01", "criteria": manual})
    data = accessibility.statement()
    assert data["status"] == "none" and data["counts"]["NT"] == 1


def test_statement_without_any_audit_is_not_conforming(statement_files):
    data = accessibility.statement()
    assert data["status"] == "none" and data["counts"]["NT"] == 106


def test_committed_audit_and_manual_file_are_read(client, db):
    """The files in docs/accessibility/ are the ones the page shows: the audit from the
    browser tests, with its pages, and the criteria checked by hand."""
    data = accessibility.statement()
    assert data["audit"]["pages"] and data["audit"]["tool"].startswith("axe-core")
    assert sum(data["counts"].values()) == 106
    body = client.get(reverse("accessibility"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Défenseur des droits" in body and str(data["rate"]).replace(".", ",") in body
