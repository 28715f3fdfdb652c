from pathlib import PurePosixPath

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed


@login_required
def home(request):
    return render(request, "frontend/home.html")


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
    if clean.is_absolute() or ".." in clean.parts or content_type is None:
        raise Http404
    if not default_storage.exists(str(clean)):
        raise Http404
    response = FileResponse(default_storage.open(str(clean)), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=86400"
    return response
