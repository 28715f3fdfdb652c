"""axe-core on every page of the URL configuration (tests/e2e/pages.py), for each role that
opens it, in French and English, at 1280 and 375 CSS px, with no violation of any impact; no
horizontal scrolling at 320 px; titles unique per role and language. The results are written to
docs/accessibility/audit.json, which the accessibility statement reads.

Kept cheap: the demo data loaded once, one browser context per (role, language) signed in by
its session cookie, each page loaded once and audited at both widths by resizing."""

import json
import threading
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from exchange.models import Need, Reservation, Tour
from frontend import accessibility
from inventory import invitations
from inventory.models import Category, Invitation, Item, Membership, Organisation

from . import pages
from .conftest import AXE_SOURCE

pytestmark = pytest.mark.e2e

WIDTHS = [1280, 375]
LANGUAGES = {"fr": "fr-FR", "en": "en-GB"}
USERNAMES = {"staff": "staff", "volunteer": "volunteer", "coordinator": "coordinator",
             "viewer": "viewer", "manager": "manager"}


def fillers(users) -> dict:
    """URL arguments from the demo data, per filler name of pages.AUDITED."""
    staff_org = Membership.objects.get(user=users["staff"], role="staff").organisation
    association = Membership.objects.get(user=users["coordinator"], role="coordinator").organisation
    item = Item.objects.filter(owner=staff_org, status=Item.Status.AVAILABLE).exclude(mode=Item.Mode.SHARED).first()
    shared = Item.objects.filter(mode=Item.Mode.SHARED, status=Item.Status.AVAILABLE).order_by("pk").first()
    token = "audit-invitation-token"
    Invitation.objects.create(
        email="nouvelle@example.org", organisation=association, role="volunteer",
        token_hash=invitations._hash(token), created_by=users["coordinator"],
        expires_at=invitations._expiry(),
    )
    anonymous_reset = users["volunteer"]
    return {
        "item": {"pk": item.pk},
        "shared": {"pk": shared.pk},
        "delivered": {"pk": Reservation.objects.filter(requester=association, status="delivered").first().pk},
        "tour": {"pk": Tour.objects.create(organisation=association, date=date.today(), capacity_kg=500, capacity_m3=8,
                                           created_by=users["coordinator"]).pk},
        "need": {"pk": Need.objects.filter(organisation=association).first().pk},
        "year": {"year": pages.this_year()},
        "category": {"pk": Category.objects.filter(parent__isnull=False).first().pk},
        "organisation": {"pk": Organisation.objects.exclude(kind="department").first().pk},
        "invitation": {"token": token},
        "password_reset": {"uidb64": urlsafe_base64_encode(force_bytes(anonymous_reset.pk)),
                           "token": default_token_generator.make_token(anonymous_reset)},
    }


# The elements that stick out of a 320 px screen (outside any element that scrolls itself).
WIDEST = """() => [...document.querySelectorAll('body *')].filter(el => {
    if (el.getBoundingClientRect().right <= window.innerWidth + 1) return false;
    for (let p = el.parentElement; p; p = p.parentElement) {
        if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(p).overflowX)) return false;
    }
    return ![...el.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 1);
}).slice(0, 3).map(el => el.tagName.toLowerCase()
    + (el.className ? '.' + String(el.className).split(' ').join('.') : '')
    + ' ' + Math.round(el.getBoundingClientRect().right) + 'px')"""


def session_cookie(user, live_server) -> list[dict]:
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    return [{"name": "sessionid", "value": cookie.value, "url": live_server.url}]


def run_axe(page) -> dict:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    return page.evaluate(
        "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
        " return {version: axe.version,"
        " violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        "   nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' + n.html.slice(0, 120))})),"
        " passes: r.passes.map(p => p.id)}; }")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_page_has_no_axe_violation_for_each_role_language_and_width(browser, live_server):
    # The demo's events would go through async_to_sync in Playwright's thread: load it in another.
    loader = threading.Thread(target=call_command, args=("load_demo",), kwargs={"verbosity": 0})
    loader.start()
    loader.join()
    users = {role: get_user_model().objects.get(username=name) for role, name in USERNAMES.items()}
    args = fillers(users)
    # The reset link is only valid for the volunteer, who must not be signed in on that context.
    violations, passed, failed, reflow_failures, titles = [], set(), set(), [], {}
    audited_pages = {}
    routes = dict(pages.url_names())
    axe_version = ""
    for role in pages.ROLES:
        for language, locale in LANGUAGES.items():
            context = browser.new_context(viewport={"width": WIDTHS[0], "height": 900}, locale=locale)
            if role != pages.ANONYMOUS:
                context.add_cookies(session_cookie(users[role], live_server))
            page = context.new_page()
            for name, (roles, filler) in pages.AUDITED.items():
                if role not in roles:
                    continue
                path = reverse(name, kwargs=args[filler] if filler else {})
                response = page.goto(f"{live_server.url}{path}")
                assert response.ok, f"{role} {language} {path}: {response.status}"
                page.wait_for_load_state("load")
                assert page.locator("html").get_attribute("lang") == language, (role, path)
                title = page.title()
                assert title and not title.startswith(" ·"), f"{path}: empty title"
                titles.setdefault((role, language, title), set()).add(name)
                for width in WIDTHS:
                    page.set_viewport_size({"width": width, "height": 900})
                    result = run_axe(page)
                    axe_version = result["version"]
                    passed.update(result["passes"])
                    for violation in result["violations"]:
                        failed.add(violation["id"])
                        violations.append({"role": role, "language": language, "width": width, "path": path,
                                           **violation})
                if language == "fr":  # reflow: the same layout in both languages
                    page.set_viewport_size({"width": 320, "height": 900})
                    # Charts redraw at the new width on the next frames (ResizeObserver).
                    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
                    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                    if overflow > 0:
                        reflow_failures.append(f"{role} {path}: {overflow}px, {page.evaluate(WIDEST)}")
                page.set_viewport_size({"width": WIDTHS[0], "height": 900})
                # The route, not the address: the audit file stays the same from run to run.
                entry = audited_pages.setdefault(name, {"name": name, "path": routes[name], "roles": []})
                if role not in entry["roles"]:
                    entry["roles"].append(role)
            context.close()

    passed_rules = passed - failed
    if reflow_failures:
        failed.add("rebond-reflow-320")
    else:
        passed_rules.add("rebond-reflow-320")
    audit = {
        "date": date.today().isoformat(),
        "tool": f"axe-core {axe_version} (all rules, every impact)",
        "browser": f"Chromium {browser.version}",
        "viewports": [*WIDTHS, 320],
        "languages": list(LANGUAGES),
        "roles": pages.ROLES,
        "pages": sorted(audited_pages.values(), key=lambda p: p["path"]),
        "rules_passed": sorted(passed_rules),
        "rules_failed": sorted(failed),
        "violations": len(violations),
    }
    accessibility.AUDIT_FILE.write_text(json.dumps(audit, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    duplicates = {key: sorted(names) for key, names in titles.items() if len(names) > 1}
    # One line per violation and page; where (roles, languages, widths) it was seen after it.
    summary = {}
    for v in violations:
        seen = summary.setdefault((v["id"], v["impact"], v["path"], v["nodes"][0]), set())
        seen.add(f"{v['role']}/{v['language']}/{v['width']}")
    lines = [f"{key} in {len(where)}: {sorted(where)[:3]}" for key, where in sorted(summary.items())]
    assert lines == [], "\n".join(lines)
    assert reflow_failures == [], "horizontal scrolling at 320 px:\n" + "\n".join(reflow_failures)
    assert duplicates == {}
