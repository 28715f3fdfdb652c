from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from frontend import views as frontend_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path(
        f"{settings.MEDIA_URL.strip('/')}/<path:path>",
        frontend_views.media,
        name="media",
    ),
    path("", include("frontend.urls")),
]
