"""Sign-in with lock-out, and "My data": download one's personal data, erase one's account."""

import json

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from exchange import privacy
from inventory import lockout


class SignInView(LoginView):
    """Django's sign-in page with the lock-out of ``inventory.lockout`` (shared with the API
    token endpoint): after too many failures the page answers 429 with ``Retry-After``, even
    for the right password, until the window has passed."""

    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "")
        wait = lockout.retry_after(username, request.META.get("REMOTE_ADDR"))
        if wait is not None:
            context = self.get_context_data(form=self.get_form(), lockout_message=lockout.locked_message(wait))
            response = self.render_to_response(context, status=429)
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        username = self.request.POST.get("username", "")
        if username:
            lockout.record_failure(username, self.request.META.get("REMOTE_ADDR"))
        return super().form_invalid(form)

    def form_valid(self, form):
        lockout.record_success(form.get_user().get_username())
        return super().form_valid(form)


class EraseForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("Type your username to confirm"), max_length=150)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_username(self):
        value = self.cleaned_data["username"]
        if value != self.user.get_username():
            raise forms.ValidationError(_("This is not your username; nothing was erased."))
        return value


@login_required
def my_data(request):
    """What Rebond holds about me, as a JSON download, and the erasure of my account."""
    return render(request, "frontend/accounts/my_data.html", {"form": EraseForm(user=request.user)})


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
    form = EraseForm(request.POST, user=request.user)
    if not form.is_valid():
        return render(request, "frontend/accounts/my_data.html", {"form": form}, status=400)
    privacy.user_erase(actor=request.user, user=request.user)
    logout(request)
    messages.success(request, _("Your account has been erased. Thank you for using Rebond."))
    return redirect("login")
