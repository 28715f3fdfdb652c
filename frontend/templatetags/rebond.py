"""Template helpers of the pages: the navigation (per role, with the notification bell) and
map links for an organisation's site."""

from urllib.parse import quote

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange import eligibility
from inventory.models import Membership

from ..views.core import dashboard_url, roles_of

register = template.Library()
Role = Membership.Role


@register.inclusion_tag("frontend/includes/nav.html", takes_context=True)
def main_nav(context):
    request = context["request"]
    user = request.user
    roles = roles_of(user)
    from exchange.models import Notification

    return {
        "request": request,
        "roles": roles,
        "is_staff_member": Role.STAFF in roles,
        "is_claimer": bool(roles & CLAIMING_ROLES),
        "is_field": bool(roles & FIELD_ROLES),
        "is_coordinator": Role.COORDINATOR in roles,
        "is_manager": Role.MANAGER in roles and "department" in roles,
        "dashboard_url": dashboard_url() if roles else None,  # each organisation sees its own figures
        "unread_count": Notification.objects.filter(user=user, read_at__isnull=True).count(),
    }


# The phone's bar at the bottom: the first four places that fit the person's roles, in this
# order (the full menu stays one tap away in the header). Icons are SVG path data (24×24).
FIELD_ROLES = {Role.VOLUNTEER, Role.COORDINATOR}
CLAIMING_ROLES = {Role.STAFF, Role.VOLUNTEER, Role.COORDINATOR}
TABS = (
    ("my_pickups", lambda r: r & FIELD_ROLES, "M3 17h2a2 2 0 1 0 4 0h6a2 2 0 1 0 4 0h2v-5l-3-4h-4V5H3z"),
    ("my_items", lambda r: Role.STAFF in r, "M3 7l9-4 9 4-9 4zM3 7v10l9 4 9-4V7M12 11v10"),
    ("claims", lambda r: Role.STAFF in r, "M4 4h16v12H4zM4 13h5l1 3h4l1-3h5"),
    ("planner", lambda r: Role.COORDINATOR in r, "M4 5h16v15H4zM4 10h16M9 3v4M15 3v4"),
    ("dashboard", lambda r: "department" in r, "M4 20V10M10 20V4M16 20v-7M22 20H2"),
    ("catalogue", lambda r: True, "M4 4h7v7H4zM13 4h7v7h-7zM4 13h7v7H4zM13 13h7v7h-7z"),
    ("my_reservations", lambda r: r & CLAIMING_ROLES, "M9 6h11M9 12h11M9 18h11M4 6h1M4 12h1M4 18h1"),
    ("needs", lambda r: True, "M12 20s-7-4.5-7-10a4 4 0 0 1 7-2.6A4 4 0 0 1 19 10c0 5.5-7 10-7 10z"),
)
TAB_COUNT = 4


def _tab_label(name: str) -> str:
    return {
        "my_pickups": _("My day"), "my_items": _("My items"), "claims": _("Claims"), "planner": _("Planner"),
        "dashboard": _("Dashboard"), "catalogue": _("Catalogue"), "my_reservations": _("Reservations"),
        "needs": _("Needs"),
    }[name]


@register.inclusion_tag("frontend/includes/tab_bar.html", takes_context=True)
def tab_bar(context):
    """The bar of shortcuts at the bottom of a phone's screen (hidden on wider screens)."""
    request = context["request"]
    roles = roles_of(request.user)
    tabs = []
    for name, fits, icon in TABS:
        if fits(roles) and len(tabs) < TAB_COUNT:
            url = reverse(name)
            tabs.append({"url": url, "label": _tab_label(name), "icon": icon, "current": request.path == url})
    return {"tabs": tabs}


@register.simple_tag
def road_strings() -> dict:
    """What rebond-road.js says (offline queue, network), translated here like every page string;
    ``%(name)s`` placeholders are filled in by the script."""
    return {
        "offline": _("No signal: you are working on the copy kept on this phone."),
        "copyOf": _("Copy kept on this phone at %(time)s."),
        "waiting": _("Waiting to be sent: %(n)s"),
        "notSent": _("Not sent: refused by the server"),
        "waitingOffline": _("Sent by itself as soon as the signal returns: keep going."),
        "sending": _("Sending…"),
        "queuedAt": _("recorded at %(time)s"),
        "queuedNote": _("Collection recorded at %(time)s: waiting to be sent. Nothing more to do here."),
        "refusedNote": _("Not accepted: %(message)s"),
        "weighed": _("%(kg)s kg"),
        "signed": _("signed"),
        "sent": _("Collection sent: %(label)s. Take it to its receiver, then confirm the delivery."),
        "refused": _("Not accepted: %(label)s — %(message)s"),
        "refusedUnknown": _("The server refused this collection."),
        "remove": _("Remove"),
        "signIn": _("Sign in again to send what is waiting."),
        "others": _("Recorded on this phone by another account and waiting for it to sign in again: %(n)s"),
        "signOutPending": _("Collections recorded on this phone are still waiting to be sent. They will be sent "
                            "when you sign in again here. Sign out anyway?"),
        "refreshed": _("The day was updated."),
    }


def _location(organisation):
    latitude, longitude = organisation.location
    return f"{latitude:.5f}", f"{longitude:.5f}"


@register.filter
def geo_uri(organisation) -> str:
    """A ``geo:`` link: phones open it in their own map or navigation app."""
    latitude, longitude = _location(organisation)
    label = quote(f"{organisation.name}, {organisation.address}")
    return f"geo:{latitude},{longitude}?q={latitude},{longitude}({label})"


@register.filter
def osm_url(organisation) -> str:
    latitude, longitude = _location(organisation)
    return f"https://www.openstreetmap.org/?mlat={latitude}&mlon={longitude}#map=17/{latitude}/{longitude}"


@register.filter
def associations_from(item):
    """When the item opens to partner associations, if that is still to come (internal-first window)."""
    window = eligibility.release_window(item)
    if window is None or window.associations_from <= timezone.now():
        return None
    return timezone.localtime(window.associations_from)


@register.inclusion_tag("frontend/includes/footer_links.html")
def footer_links():
    """The links every page's footer owes: the accessibility statement with its status
    (RGAA), the legal notice, the privacy notice."""
    from .. import accessibility

    return accessibility.footer_status()
