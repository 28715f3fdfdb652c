"""Sign-in (password with the lock-out, or ProConnect), sign-out, password pages, and
"My data": download one's personal data, erase one's account."""

import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.forms.utils import ErrorDict
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts import proconnect
from accounts.emails import Method, email_verify
from accounts.site import site_parts
from accounts.tokens import tokens_revoke_all
from exchange import privacy
from inventory import lockout


class LockoutLoginMixin:
    """The lock-out of ``inventory.lockout`` around a ``LoginView``: each attempt is counted
    before its password is checked; a locked username (or address, or device) answers 429 with
    ``Retry-After`` and the form, even for the right password; a success remembers the device."""

    attempt = None

    def post(self, request, *args, **kwargs):
        self.attempt = lockout.Attempt.of(request, request.POST.get("username", ""))
        wait = lockout.begin(self.attempt)
        if wait is not None:
            return self.locked_out(wait)
        return super().post(request, *args, **kwargs)

    def locked_out(self, wait: int):
        message = lockout.locked_message(wait)
        form = self.get_form_class()(self.request, initial={"username": self.attempt.username})
        form._errors = ErrorDict({forms.forms.NON_FIELD_ERRORS: form.error_class([message])})
        response = self.render_to_response(self.get_context_data(form=form, lockout_message=message), status=429)
        response["Retry-After"] = str(wait)
        return response

    def form_valid(self, form):
        response = super().form_valid(form)
        lockout.record_success(self.attempt, response)
        return response


class SignInView(LockoutLoginMixin, auth_views.LoginView):
    """The sign-in page: the password form, and "S'identifier avec ProConnect" when configured."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if proconnect.is_configured():
            context["proconnect_url"] = proconnect.start_url(self.get_redirect_url())
        return context


class AdminSignInView(LockoutLoginMixin, auth_views.LoginView):
    """``/admin/login/`` with the same lock-out (what ``AdminSite.login`` does, through our mixin)."""

    template_name = "admin/login.html"
    authentication_form = AdminAuthenticationForm

    def dispatch(self, request, *args, **kwargs):
        request.current_app = admin.site.name
        if request.method == "GET" and admin.site.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index", current_app=admin.site.name))
        return super().dispatch(request, *args, **kwargs)

    def get_default_redirect_url(self):
        return reverse("admin:index", current_app=admin.site.name)

    def get_context_data(self, **kwargs):
        context = {
            **super().get_context_data(**kwargs), **admin.site.each_context(self.request),
            "title": _("Log in"), "subtitle": None, "app_path": self.request.get_full_path(),
            "username": self.request.user.get_username(),
        }
        if REDIRECT_FIELD_NAME not in self.request.GET and REDIRECT_FIELD_NAME not in self.request.POST:
            context[REDIRECT_FIELD_NAME] = reverse("admin:index", current_app=admin.site.name)
        return context


class SignOutView(auth_views.LogoutView):
    """Sign out of Rebond, and of ProConnect too when the session came from it (the provider's
    ``end_session_endpoint`` then sends the person back to the sign-in page)."""

    def post(self, request, *args, **kwargs):
        end_session = proconnect.end_session_url(request)
        response = super().post(request, *args, **kwargs)
        return HttpResponseRedirect(end_session) if end_session else response


class PasswordResetView(auth_views.PasswordResetView):
    """The reset link is built from ``DJANGO_SITE_URL``, never from the request's Host header."""

    def form_valid(self, form):
        protocol, domain = site_parts(self.request)
        self.extra_email_context = {"protocol": protocol, "domain": domain}
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Following the e-mailed link proves the address; the new password ends every API token."""

    def form_valid(self, form):
        response = super().form_valid(form)
        email_verify(user=form.user, method=Method.PASSWORD_RESET)
        tokens_revoke_all(user=form.user)
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """A new password ends every API token (other browsers' sessions end by Django's own rule)."""

    def form_valid(self, form):
        response = super().form_valid(form)
        tokens_revoke_all(user=form.user)
        return response


class EraseForm(forms.Form):
    """Erasure asks for the password again (with the sign-in lock-out: a borrowed session must
    not guess it); an account without a password confirms with a fresh ProConnect sign-in."""

    password = forms.CharField(
        label=gettext_lazy("Your password, to confirm"), strip=False, max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.request = user, request
        self.locked_wait = None
        if not user.has_usable_password():
            del self.fields["password"]

    def clean(self):
        if "password" not in self.fields:
            if not proconnect.recently_signed_in(self.request):
                raise forms.ValidationError(_("Confirm who you are with ProConnect first; nothing was erased."))
            return self.cleaned_data
        attempt = lockout.Attempt.of(self.request, self.user.get_username())
        self.locked_wait = lockout.begin(attempt)
        if self.locked_wait is not None:
            raise forms.ValidationError(lockout.locked_message(self.locked_wait))
        if not self.user.check_password(self.cleaned_data.get("password") or ""):
            raise forms.ValidationError(_("This is not your password; nothing was erased."))
        lockout.record_success(attempt)
        return self.cleaned_data


def _my_data_page(request, form, status=200):
    context = {"form": form, "retained": privacy.RETAINED}
    if "password" not in form.fields and proconnect.is_configured():
        context["reauth_url"] = proconnect.start_url(reverse("my_data")) + "&reauth=1"
        context["reauth_done"] = proconnect.recently_signed_in(request)
    return render(request, "frontend/accounts/my_data.html", context, status=status)


@login_required
def my_data(request):
    """What Rebond holds about me, as a JSON download, what erasure keeps, and the erasure."""
    return _my_data_page(request, EraseForm(user=request.user, request=request))


@login_required
def my_data_download(request):
    data = privacy.personal_data(request.user)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    filename = f"rebond-{request.user.pk}-{timezone.localdate().isoformat()}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def my_data_erase(request):
    form = EraseForm(request.POST, user=request.user, request=request)
    if not form.is_valid():
        response = _my_data_page(request, form, status=429 if form.locked_wait else 400)
        if form.locked_wait:
            response["Retry-After"] = str(form.locked_wait)
        return response
    privacy.user_erase(actor=request.user, user=request.user)
    logout(request)
    messages.success(request, _("Your account has been erased. Thank you for using Rebond."))
    return redirect("login")
