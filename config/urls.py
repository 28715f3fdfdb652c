from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config import health
from frontend import views as frontend_views
from frontend.views import accounts as account_views
from frontend.views import proconnect as proconnect_views

handler500 = "api.errors.server_error"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    # The admin's sign-in with the lock-out of the other sign-ins, before the admin's own.
    path("admin/login/", account_views.AdminSignInView.as_view(), name="admin_login"),
    path("admin/", admin.site.urls),
    # Our account pages first (lock-out, ProConnect, links from DJANGO_SITE_URL, tokens
    # revoked with the password); Django's other account pages after them.
    path("accounts/login/", account_views.SignInView.as_view(), name="login"),
    path("accounts/logout/", account_views.SignOutView.as_view(), name="logout"),
    path("accounts/password_change/", account_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password_reset/", account_views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/reset/<uidb64>/<token>/", account_views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("accounts/proconnect/start/", proconnect_views.ProConnectStartView.as_view(), name="proconnect_start"),
    path("accounts/proconnect/callback/", proconnect_views.ProConnectCallbackView.as_view(),
         name="proconnect_callback"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI injects its own <style> elements; its scripts stay our static files.
    path(
        "api/docs/",
        csp_update({"style-src": [UNSAFE_INLINE]})(SpectacularSwaggerSplitView.as_view(url_name="schema")),
        name="api-docs",
    ),
    path(
        f"{settings.MEDIA_URL.strip('/')}/<path:path>",
        frontend_views.media,
        name="media",
    ),
    path("", include("frontend.urls")),
]
