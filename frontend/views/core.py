"""Home page, photo serving and the helpers every page uses."""

from pathlib import PurePosixPath

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db.models import Count
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET
from rest_framework.exceptions import AuthenticationFailed

from accounts.tokens import TokenAuthentication
from inventory.errors import WorkflowError
from inventory.models import Item, Membership, Organisation
from inventory.permissions import organisations_of

Role = Membership.Role


def roles_of(user) -> set[str]:
    """The roles ``user`` holds anywhere ("department" for département members), read once
    per request: they only choose what the navigation and the home page show; every action
    is still checked by the permission predicates and services."""
    if not user.is_authenticated:
        return set()
    if not hasattr(user, "_rebond_roles"):
        roles = set()
        for role, kind in Membership.objects.filter(user=user).values_list("role", "organisation__kind"):
            roles.add(role)
            if kind == Organisation.Kind.DEPARTMENT:
                roles.add("department")
        user._rebond_roles = roles
    return user._rebond_roles


def run_service(request, call, success: str) -> bool:
    """Run a service call; show ``success`` or the refusal as a message. PermissionDenied
    goes on to the 403 page."""
    try:
        call()
    except WorkflowError as error:
        messages.error(request, error.message)
        return False
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return False
    messages.success(request, success)
    return True


def dashboard_url() -> str | None:
    # The département's dashboard comes with the impact pages; link to it once it exists.
    try:
        return reverse("dashboard")
    except NoReverseMatch:
        return None


@login_required
def home(request):
    """One page per role: staff see their items and claims, volunteers the catalogue and their
    pickups, coordinators the planner, the département its dashboard."""
    roles = roles_of(request.user)
    context = {"roles": roles, "dashboard_url": dashboard_url()}
    if Role.STAFF in roles:
        items = Item.objects.filter(owner__in=organisations_of(request.user, Role.STAFF))
        context["item_counts"] = dict(items.values_list("status").annotate(n=Count("pk")).order_by())
        context["recent_items"] = items.select_related("category").prefetch_related("photos")[:5]
    if roles & {Role.VOLUNTEER, Role.COORDINATOR}:
        context["catalogue_count"] = Item.objects.visible_in_catalogue().count()
    return render(request, "frontend/home.html", context)


# Photos are served by the app, to signed-in users only (session or API token), with the
# type taken from our own file names (the pipeline chose them) and sniffing disabled.
MEDIA_TYPES = {".jpg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}


def _token_user(request):
    try:
        authenticated = TokenAuthentication().authenticate(request)
    except AuthenticationFailed:
        return None
    return authenticated[0] if authenticated else None


@require_GET
def media(request, path: str):
    if not request.user.is_authenticated and _token_user(request) is None:
        return redirect_to_login(request.get_full_path())
    clean = PurePosixPath(path)
    content_type = MEDIA_TYPES.get(clean.suffix.lower())
    # Transfer records and signatures are for the parties and the département only: they are
    # served by ``transfer_record_download`` after its permission check, never from here.
    if clean.is_absolute() or ".." in clean.parts or content_type is None or clean.parts[:1] == ("transfer-records",):
        raise Http404
    # Local folder or private S3 bucket (config/storage.py): either way the bytes are streamed
    # from here, after the check above, never linked to directly.
    if not default_storage.exists(str(clean)):
        raise Http404
    response = FileResponse(default_storage.open(str(clean)), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=300"
    return response
