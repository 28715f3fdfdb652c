"""Template helpers of the pages: the navigation (per role, with the notification bell) and
map links for an organisation's site."""

from urllib.parse import quote

from django import template
from django.utils import timezone

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
        "is_claimer": bool(roles & {Role.STAFF, Role.VOLUNTEER, Role.COORDINATOR}),
        "is_field": bool(roles & {Role.VOLUNTEER, Role.COORDINATOR}),
        "is_coordinator": Role.COORDINATOR in roles,
        "is_manager": Role.MANAGER in roles and "department" in roles,
        "dashboard_url": dashboard_url() if roles else None,  # each organisation sees its own figures
        "unread_count": Notification.objects.filter(user=user, read_at__isnull=True).count(),
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
