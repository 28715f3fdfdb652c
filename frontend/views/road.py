"""The installable app: its manifest, its service worker and the page shown without signal.

The service worker (``frontend/static/frontend/rebond-sw.js``) is served from ``/sw.js`` so
that its scope is the whole site; this view puts in front of it the list of our own static
files to keep on the phone, with their (hashed, in production) addresses, and a version
derived from them: a new deployment changes the script, so phones install the new worker
and drop the old files.
"""

import hashlib
import json

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

# Static files every page needs, kept on the phone at installation.
PRECACHED_STATIC = (
    "frontend/rebond.css",
    "frontend/rebond.js",
    "frontend/rebond-live.js",
    "frontend/rebond-road.js",
    "frontend/vendor/htmx-2.0.11.min.js",
    "frontend/icons/icon-192.png",
    "frontend/icons/apple-touch-icon.png",
)
WORKER = "frontend/rebond-sw.js"
PUSH_HANDLERS = "frontend/push-sw.js"  # Web Push: the push and notification-click handlers
THEME_COLOR = "#0f4a27"  # --green-dark of rebond.css: the header's colour


def offline_pages() -> list[str]:
    """The pages kept on the phone each time they are loaded with signal (network first,
    then the copy): the home page and the volunteer's day (any ``?date=``)."""
    return [reverse("home"), reverse("my_pickups")]


@require_GET
@cache_control(max_age=86400, public=True)
def manifest(request):
    """The web app manifest (installable app: name, icons, start page, colours)."""
    icon = static
    data = {
        "id": "/",
        "name": _("Rebond — reuse between public facilities"),
        "short_name": "Rebond",
        "description": _(
            "Give, claim and collect equipment between the département's facilities, even without signal."
        ),
        "lang": get_language() or "fr",
        "dir": "ltr",
        "start_url": reverse("home") + "?source=app",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOR,
        "categories": ["productivity", "utilities"],
        "icons": [
            {"src": icon("frontend/icons/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": icon("frontend/icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {"src": icon("frontend/icons/maskable-512.png"), "sizes": "512x512", "type": "image/png",
             "purpose": "maskable"},
        ],
        "shortcuts": [
            {"name": _("My pickups today"), "url": reverse("my_pickups"),
             "icons": [{"src": icon("frontend/icons/icon-192.png"), "sizes": "192x192"}]},
            {"name": _("Catalogue"), "url": reverse("catalogue")},
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


def _static_bytes(name: str) -> bytes:
    path = finders.find(name)
    with open(path, "rb") as source:
        return source.read()


def worker_config() -> dict:
    """What the service worker is told: what to keep, where the offline page is, its version.

    The version changes with the worker's code and the files' addresses; where those
    addresses carry no content hash (development: no manifest storage), with the files'
    contents too, so an edited stylesheet reaches the phones."""
    precache = [static(name) for name in PRECACHED_STATIC]
    config = {"precache": precache, "offline": reverse("offline"), "pages": offline_pages()}
    digest = hashlib.sha256(json.dumps(config, sort_keys=True).encode() + _static_bytes(WORKER))
    hashed = precache[0] != settings.STATIC_URL + PRECACHED_STATIC[0]
    if not hashed:
        for name in PRECACHED_STATIC:
            digest.update(_static_bytes(name))
    return {**config, "version": digest.hexdigest()[:12]}


@require_GET
def service_worker(request):
    """``/sw.js``: the service worker, for the whole site (``Service-Worker-Allowed: /``).

    Never cached by HTTP caches (browsers check it for updates on each visit)."""
    body = (f"self.REBOND = {json.dumps(worker_config())};\n{_static_bytes(WORKER).decode()}\n"
            f"{_static_bytes(PUSH_HANDLERS).decode()}")
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def offline(request):
    """The page the service worker shows for a page not kept on the phone, without signal.
    Nobody's data: it is stored once, at installation, and shown to whoever is signed in."""
    return render(request, "frontend/road/offline.html", {"pages": offline_pages()})
