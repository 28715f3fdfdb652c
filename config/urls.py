from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from frontend import views as frontend_views

handler500 = "api.errors.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    # The sign-in page with the lock-out first; Django's other account pages after it.
    path("accounts/login/", frontend_views.SignInView.as_view(), name="login"),
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
