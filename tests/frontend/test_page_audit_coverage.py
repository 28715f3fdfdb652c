"""No page escapes the accessibility audit: every named URL pattern is either audited by the
browser suite (tests/e2e/test_every_page.py) or excluded with a reason, and the "POST only"
reasons are true."""

import re

from django.urls import reverse

from tests.e2e import pages


def test_every_url_pattern_is_audited_or_excluded_with_a_reason():
    assert pages.unaccounted() == []
    names = {name for name, _route in pages.url_names()}
    assert set(pages.AUDITED) <= names and set(pages.EXCLUDED) <= names  # no stale entry
    assert not set(pages.AUDITED) & set(pages.EXCLUDED)
    assert all(reason.strip() for reason in pages.EXCLUDED.values())


def test_a_new_page_cannot_escape(monkeypatch):
    monkeypatch.delitem(pages.AUDITED, "catalogue")
    assert pages.unaccounted() == ["catalogue"]


def test_actions_excluded_as_post_only_refuse_get(client, staff):
    client.force_login(staff)
    routes = dict(pages.url_names())
    for name, reason in pages.EXCLUDED.items():
        if reason != pages.POST_ONLY:
            continue
        kwargs = {arg: ("1" if kind == "int" else "x") for kind, arg in re.findall(r"<(?:(\w+):)?(\w+)>", routes[name])}
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 405, name
