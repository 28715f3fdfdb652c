"""ProConnect pages: start the sign-in (to the provider), and its return (the callback).

mozilla-django-oidc's views do the flow (PKCE, ``state`` and ``nonce`` in the session);
``accounts.proconnect`` configures and checks it. These subclasses turn whatever can go wrong
into a page a person understands: a cancelled or forged return (400), a provider that does not
answer (502), an address nobody invited (403) — never a 500.
"""

import logging

import requests
from django.contrib import messages
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from accounts import proconnect

logger = logging.getLogger(__name__)


def _failed(request, *, status: int, unavailable: bool = False):
    return render(request, "frontend/accounts/proconnect_failed.html", {"unavailable": unavailable}, status=status)


class ProConnectViewMixin:
    """Settings from ``accounts.proconnect``; 404 while ProConnect is not configured."""

    def get_settings(self, name, *default):
        return proconnect.oidc_setting(name, *default)

    def dispatch(self, request, *args, **kwargs):
        if not proconnect.is_configured():
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class ProConnectStartView(ProConnectViewMixin, OIDCAuthenticationRequestView):
    """``/accounts/proconnect/start/?next=…``: off to the provider."""

    def __init__(self, **kwargs):
        View.__init__(self, **kwargs)  # the library reads its settings here: we do it in get()

    def get(self, request):
        try:
            self.OIDC_OP_AUTH_ENDPOINT = proconnect.discovery()["authorization_endpoint"]
        except proconnect.ProviderError as error:
            logger.warning("ProConnect unavailable: %s", error)
            return _failed(request, status=502, unavailable=True)
        self.OIDC_RP_CLIENT_ID = proconnect.oidc_setting("OIDC_RP_CLIENT_ID")
        return super().get(request)

    def get_extra_params(self, request):
        params = {"redirect_uri": proconnect.callback_url(request), "acr_values": " ".join(proconnect.acr_values())}
        if request.GET.get("reauth"):
            params["prompt"] = "login"  # confirm who is there before an erasure
        return params


class ProConnectCallbackView(ProConnectViewMixin, OIDCAuthenticationCallbackView):
    """``/accounts/proconnect/callback/``: the provider sends the person back here."""

    def get(self, request):
        try:
            return super().get(request)
        except SuspiciousOperation as error:
            logger.warning("ProConnect sign-in refused: %s", error)
            return _failed(request, status=400)
        except (proconnect.ProviderError, requests.RequestException) as error:
            logger.warning("ProConnect unavailable: %s", error)
            return _failed(request, status=502, unavailable=True)

    def login_failure(self):
        outcome = getattr(self.request, "proconnect_outcome", None)
        if outcome is not None and outcome.kind in ("unknown", "unverified"):
            return render(self.request, "frontend/accounts/proconnect_not_invited.html", {
                "email": outcome.email, "unverified": outcome.kind == "unverified",
                "end_session_url": proconnect.end_session_url(self.request),
            }, status=403)
        return _failed(self.request, status=400)

    def login_success(self):
        response = super().login_success()
        outcome = getattr(self.request, "proconnect_outcome", None)
        if outcome is not None and outcome.joined:
            # The invitations were accepted on the way: their links are used, so go home.
            messages.success(self.request, _("Welcome! You joined %(organisations)s.") % {
                "organisations": ", ".join(str(invitation.organisation) for invitation in outcome.joined),
            })
            return redirect("home")
        return response
