"""Every page of the URL configuration, for the accessibility audit (test_every_page.py).

Each named URL pattern is either AUDITED (an HTML page a person opens with GET: the roles that
open it, and how to fill its URL's arguments from the demo data) or EXCLUDED with the reason.
``tests/frontend/test_page_audit_coverage.py`` fails when a pattern is in neither, so a page
added later cannot escape the audit; it also checks the "POST only" reasons with a GET (405).
"""

from datetime import date

from django.urls import URLPattern, URLResolver, get_resolver

ANONYMOUS = "anonymous"
ROLES = ["staff", "volunteer", "coordinator", "viewer", "manager", ANONYMOUS]
SIGNED_IN = ROLES[:-1]
EVERYONE = ROLES

# name: (roles that open it, argument filler name or None). The fillers are in
# test_every_page.py (they read the demo data); ``{}`` kwargs when None.
AUDITED = {
    "home": (SIGNED_IN, None),
    "login": ([ANONYMOUS], None),
    "password_reset": ([ANONYMOUS], None),
    "password_reset_done": ([ANONYMOUS], None),
    "password_reset_confirm": ([ANONYMOUS], "password_reset"),
    "password_reset_complete": ([ANONYMOUS], None),
    "password_change": (["staff"], None),
    "password_change_done": (["staff"], None),
    "offline": ([ANONYMOUS], None),
    "legal_notice": (EVERYONE, None),
    "privacy": (EVERYONE, None),
    "accessibility": (EVERYONE, None),
    "accessibility_plan": ([ANONYMOUS], None),
    "invitation_accept": ([ANONYMOUS], "invitation"),
    "my_data": (SIGNED_IN, None),
    "my_items": (["staff"], None),
    "item_create": (["staff"], None),
    "item_detail": (["staff", "volunteer", "viewer"], "item"),
    "item_edit": (["staff"], "item"),
    "item_history": (["staff"], "item"),
    "catalogue": (SIGNED_IN, None),
    "my_reservations": (["volunteer", "coordinator"], None),
    "reservation_feedback": (["coordinator"], "delivered"),
    "claims": (["staff"], None),
    "my_pickups": (["volunteer", "coordinator"], None),
    "association_claims": (["coordinator"], None),
    "planner": (["coordinator"], None),
    "vehicles": (["coordinator"], None),
    "route_sheet": (["coordinator"], "tour"),
    "shared_item": (["staff", "coordinator"], "shared"),
    "my_bookings": (["coordinator"], None),
    "scan": (["volunteer"], None),
    "needs": (["staff", "volunteer", "coordinator", "viewer"], None),
    "need_create": (["coordinator"], None),
    "need_detail": (["coordinator"], "need"),
    "notifications": (SIGNED_IN, None),
    "dashboard": (["viewer", "manager"], None),
    "annual_report": (["viewer"], "year"),
    "agec_declaration": (["viewer"], None),
    "agec_grid": (["manager"], None),
    "open_data": (["manager"], None),
    "methodology": (["viewer", "manager"], None),
    "category_factors": (["manager"], "category"),
    "organisations": (["manager"], None),
    "organisations_import": (["manager"], None),
    "organisation_edit": (["manager"], "organisation"),
    "department_settings": (["manager"], None),
    "invitations": (["manager"], None),
}

POST_ONLY = "an action (POST only): its form is on an audited page, its answer is a redirect"
NOT_HTML = "not an HTML page"
EXCLUDED = {
    "admin_login": "Django's admin, for platform administrators (not a public page of the service)",
    "logout": POST_ONLY,
    "set_language": "Django's language switch: a redirect (its form is in every page's footer)",
    "proconnect_start": "a redirect to ProConnect",
    "proconnect_callback": "ProConnect's return: a redirect (its failure pages are tested in test_proconnect.py)",
    "schema": NOT_HTML + " (OpenAPI schema)",
    "api-docs": "the API's Swagger UI, for developers (a third-party page)",
    "media": NOT_HTML + " (photos)",
    "web_manifest": NOT_HTML + " (web app manifest)",
    "service_worker": NOT_HTML + " (service worker)",
    "healthz": NOT_HTML + " (the load balancer's health check, JSON)",
    "my_data_download": NOT_HTML + " (JSON download)",
    "transfer_record_download": NOT_HTML + " (PDF)",
    "inventory_exits_export": NOT_HTML + " (CSV)",
    "calendar_feed": NOT_HTML + " (iCalendar)",
    "annual_report_pdf": NOT_HTML + " (PDF)",
    "notifications_bell": "an htmx fragment of every page's header (audited inside them)",
    "booking_check": "an htmx fragment of the shared item's page (audited inside it)",
    "label_open": "a redirect to the item's page (a QR label's address)",
    "my_data_erase": POST_ONLY,
    "item_publish": POST_ONLY, "item_withdraw": POST_ONLY, "item_delete": POST_ONLY,
    "photo_add": POST_ONLY, "photo_move": POST_ONLY, "photo_delete": POST_ONLY,
    "claim_create": POST_ONLY, "reservation_action": POST_ONLY,
    "pickup_create": POST_ONLY, "tour_create": POST_ONLY, "planner_plan": POST_ONLY,
    "pickup_assign": POST_ONLY, "pickup_outcome": POST_ONLY, "tour_optimise": POST_ONLY,
    "booking_create": POST_ONLY, "booking_rules": POST_ONLY, "booking_action": POST_ONLY,
    "need_close": POST_ONLY, "notifications_read": POST_ONLY, "notification_settings": POST_ONLY,
    "calendar_address": POST_ONLY, "open_data_switch": POST_ONLY, "invitation_action": POST_ONLY,
}
# Whole namespaces: the JSON API (its own tests and Schemathesis) and Django's admin.
EXCLUDED_NAMESPACES = {"api": "the JSON API, not pages", "admin": "Django's admin, for platform administrators"}


def url_names() -> list[tuple[str, str]]:
    """(name, route) of every named pattern, namespaced ones as ``namespace:name``."""
    found = []

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern), pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern):
                name = pattern.name or "(unnamed)"
                found.append((f"{namespace}:{name}" if namespace else name, prefix + str(pattern.pattern)))

    walk(get_resolver().url_patterns, "/", None)
    return found


def unaccounted() -> list[str]:
    """Patterns neither audited nor excluded (the coverage test wants none)."""
    return sorted({
        name for name, _route in url_names()
        if name not in AUDITED and name not in EXCLUDED and name.split(":")[0] not in EXCLUDED_NAMESPACES
    })


def this_year() -> int:
    return date.today().year
