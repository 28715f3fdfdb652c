"""The département's onboarding pages: import organisations from the official directories,
invite people, edit organisations and the département's settings; and the invitation link.

Every write goes through ``inventory.directories``, ``inventory.invitations`` or
``inventory.services``; the permission predicates decide who sees what.
"""

import uuid
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import proconnect
from accounts.site import site_url
from inventory import invitations, permissions, services
from inventory.directories import apply_import, plan_import
from inventory.errors import WorkflowError
from inventory.models import Invitation, Membership, Organisation, SiteSettings

from ..forms import (
    AcceptInvitationForm,
    DirectoryImportForm,
    InvitationForm,
    OrganisationSettingsForm,
    SiteSettingsForm,
    add_service_error,
)
from .core import run_service

Role = Membership.Role
IMPORT_SALT = "rebond.directory-import"
IMPORT_MAX_AGE = 60 * 60  # a preview is confirmed within the hour
SKIPPED_SHOWN = 200  # the national FINESS file skips thousands of lines: list the first ones


def _require_manager(user) -> None:
    if not permissions.is_department_manager(user):
        raise PermissionDenied(_("This page is for the département's managers."))


def _base_url(request) -> str:
    return site_url(request)  # DJANGO_SITE_URL: never the Host header a client sent


#
# Import from the directories
#
def _stored_upload(request, token: str) -> str | None:
    """The stored file name of a preview, if ``token`` is this user's and recent."""
    try:
        data = signing.loads(token, salt=IMPORT_SALT, max_age=IMPORT_MAX_AGE)
    except signing.BadSignature:
        return None
    if data.get("user") != request.user.pk or not default_storage.exists(data.get("name", "")):
        return None
    return data["name"]


def _forget_stale_uploads() -> None:
    """Remove kept files whose preview can no longer be confirmed."""
    try:
        names = default_storage.listdir("imports")[1]
    except FileNotFoundError:
        return
    cutoff = timezone.now() - timedelta(seconds=IMPORT_MAX_AGE)
    for name in names:
        path = f"imports/{name}"
        if default_storage.get_modified_time(path) < cutoff:
            default_storage.delete(path)


@login_required
def organisations_import(request):
    """Upload → preview (nothing written) → confirm (the kept file is planned again and
    applied in one transaction)."""
    _require_manager(request.user)
    if request.method == "POST" and "token" in request.POST:
        name = _stored_upload(request, request.POST["token"])
        if name is None:
            messages.error(request, _("This preview has expired: upload the file again."))
            return redirect("organisations_import")
        with default_storage.open(name) as stream:
            plan = plan_import(stream.read())
        try:
            done = apply_import(actor=request.user, plan=plan)
        except (WorkflowError, ValidationError) as error:
            messages.error(request, _("Nothing was imported: %(error)s") % {
                "error": getattr(error, "message", None) or " ".join(getattr(error, "messages", [str(error)])),
            })
            return redirect("organisations_import")
        default_storage.delete(name)
        messages.success(request, _("Import done: %(created)s organisations created, %(updated)s updated.") % done)
        return redirect("organisations")

    form = DirectoryImportForm(request.POST or None, request.FILES or None)
    context = {"form": form}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data["file"].read()
        plan = plan_import(data)
        context["plan"] = plan
        titles = {"create": _("To create"), "update": _("To update"), "reject": _("Rejected lines"),
                  "skip": _("Skipped")}
        context["sections"] = [
            (key, title, plan.of(key)[:SKIPPED_SHOWN], len(plan.of(key))) for key, title in titles.items()
        ]
        _forget_stale_uploads()
        if not plan.errors:
            # Kept server-side under a random name (never served: the media view only serves
            # images); the signed token ties it to this manager for an hour.
            name = default_storage.save(f"imports/{uuid.uuid4().hex}.csv", ContentFile(data))
            context["token"] = signing.dumps({"name": name, "user": request.user.pk}, salt=IMPORT_SALT)
    return render(request, "frontend/onboarding/import.html", context)


#
# Organisations and settings
#
def _methodology_url() -> str | None:
    try:
        return reverse("methodology")
    except NoReverseMatch:
        return None


@login_required
def organisations(request):
    _require_manager(request.user)
    query = request.GET.get("q", "").strip()[:100]
    listed = Organisation.objects.select_related("commune")
    if query:
        listed = listed.filter(name__icontains=query)
    return render(request, "frontend/onboarding/organisations.html", {
        "organisations": listed, "query": query, "methodology_url": _methodology_url(),
    })


@login_required
def organisation_edit(request, pk: int):
    _require_manager(request.user)
    organisation = get_object_or_404(Organisation, pk=pk)
    form = OrganisationSettingsForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_update(actor=request.user, organisation=organisation, **{
                name: form.cleaned_data[name] for name in form.Meta.fields
            })
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Organisation saved."))
            return redirect("organisations")
    return render(request, "frontend/onboarding/organisation_form.html", {"form": form, "organisation": organisation})


@login_required
def department_settings(request):
    _require_manager(request.user)
    current = SiteSettings.current()
    form = SiteSettingsForm(request.POST or None, initial={
        "claim_expiry_days": current.claim_expiry_days, "internal_first_days": current.internal_first_days,
    })
    if request.method == "POST" and form.is_valid():
        try:
            services.site_settings_update(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("department_settings")
    return render(request, "frontend/onboarding/settings.html", {
        "form": form, "methodology_url": _methodology_url(),
    })


#
# Invitations
#
def _inviting_organisations(user):
    if permissions.is_department_manager(user):
        return Organisation.objects.all()
    return permissions.organisations_of(user, Role.STAFF)


@login_required
def invitation_list(request):
    """Pending invitations the user may manage, and the form to invite someone."""
    organisations = _inviting_organisations(request.user)
    if not organisations.exists():
        raise PermissionDenied(_("This page is for the département's managers and organisations' staff."))
    is_manager = permissions.is_department_manager(request.user)
    roles = [(value, label) for value, label in Role.choices
             if is_manager or value in permissions.STAFF_INVITABLE_ROLES]
    form = InvitationForm(request.POST or None, organisations=organisations, roles=roles)
    if request.method == "POST" and form.is_valid():
        try:
            invitations.invitation_create(actor=request.user, base_url=_base_url(request), **form.cleaned_data)
        except WorkflowError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]})
            return redirect("invitations")
    pending = Invitation.objects.filter(
        organisation__in=organisations, accepted_at=None, revoked_at=None, expires_at__gt=timezone.now(),
    ).select_related("organisation", "created_by")
    return render(request, "frontend/onboarding/invitations.html", {
        "form": form, "pending": pending, "is_manager": is_manager, "methodology_url": _methodology_url(),
    })


@login_required
@require_POST
def invitation_action(request, pk: int, action: str):
    invitation = get_object_or_404(Invitation.objects.select_related("organisation"), pk=pk)
    if not invitations.can_manage_invitation(request.user, invitation):
        raise PermissionDenied(_("You may not manage this organisation's invitations."))
    if action == "resend":
        run_service(request, lambda: invitations.invitation_resend(
            actor=request.user, invitation=invitation, base_url=_base_url(request),
        ), _("Invitation sent again to %(email)s.") % {"email": invitation.email})
    elif action == "revoke":
        run_service(request, lambda: invitations.invitation_revoke(actor=request.user, invitation=invitation),
                    _("Invitation to %(email)s revoked.") % {"email": invitation.email})
    return redirect("invitations")


def invitation_accept(request, token: str):
    """The e-mailed link. A person who has an account signs in first (with its password and
    the lock-out of the sign-in page), then accepts here; a new person chooses a name and a
    password, and is signed in to the account just created. Nobody else is signed in here."""
    invitation = invitations.invitation_for_token(token)
    if invitation is None:
        return _invalid_invitation(request)
    if request.user.is_authenticated:
        return _accept_signed_in(request, invitation, token)
    if invitations.existing_user(invitation) is not None:
        return _sign_in_first(request, invitation)
    form = AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitations.invitation_accept_new_account(
                token=token, password=form.cleaned_data["password1"], first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
            )
        except ValidationError as error:
            form.add_error("password1", error)
        except WorkflowError as error:
            if error.code == "sign_in_first":  # the account was created meanwhile
                return _sign_in_first(request, invitation)
            return _invalid_invitation(request)
        else:
            # The one sign-in an invitation does: the account it has just created, with the
            # password its owner has just chosen.
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return _welcome(request, invitation, user)
    context = {"invitation": invitation, "form": form}
    if proconnect.is_configured():
        context["proconnect_url"] = proconnect.start_url(request.get_full_path())
    return render(request, "frontend/onboarding/invitation_accept.html", context)


def _accept_signed_in(request, invitation, token: str):
    if not invitations.is_invitee(request.user, invitation):
        return render(request, "frontend/onboarding/invitation_other_account.html",
                      {"invitation": invitation}, status=403)
    if request.method == "POST":
        try:
            invitations.invitation_accept(actor=request.user, token=token)
        except WorkflowError:
            return _invalid_invitation(request)
        return _welcome(request, invitation, request.user)
    return render(request, "frontend/onboarding/invitation_accept.html", {"invitation": invitation, "form": None})


def _sign_in_first(request, invitation):
    messages.info(request, _(
        "You already have a Rebond account with the address %(email)s: sign in with its password, "
        "then accept the invitation."
    ) % {"email": invitation.email})
    return redirect_to_login(request.get_full_path())


def _welcome(request, invitation, user):
    messages.success(request, _("Welcome to %(organisation)s! You sign in as %(username)s.") % {
        "organisation": invitation.organisation, "username": user.username,
    })
    return redirect("home")


def _invalid_invitation(request):
    return render(request, "frontend/onboarding/invitation_invalid.html", status=410)
