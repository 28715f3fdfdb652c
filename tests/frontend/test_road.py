"""The installable app's server side and the phone layout: manifest, service worker, offline
page, icons, the volunteer's day as a route, the bar of shortcuts, and collecting with a
measured weight through the page (the path without JavaScript)."""

import datetime
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from exchange import services
from exchange.models import Reservation
from frontend import icons
from frontend.views.road import PRECACHED_STATIC, worker_config
from tests.clock import PARIS
from tests.factories import AvailableItemFactory, OrganisationFactory, member

from .conftest import signed_in

NOON = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=PARIS)
at_noon = pytest.mark.time_machine(NOON, tick=False)


def _static_path(url: str) -> Path:
    assert url.startswith(settings.STATIC_URL), url
    found = finders.find(url[len(settings.STATIC_URL):])
    assert found, url
    return Path(found)


#
# Manifest, service worker, offline page, icons
#
def test_the_manifest_makes_an_installable_app(client, db):
    response = client.get("/manifest.webmanifest")

    assert response.status_code == 200 and response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["lang"] == "fr" and manifest["name"].startswith("Rebond — le réemploi")
    assert manifest["display"] == "standalone" and manifest["scope"] == "/"
    assert manifest["start_url"].startswith("/") and manifest["theme_color"] == "#0f4a27"
    purposes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert purposes == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
    for icon in manifest["icons"]:
        width, height = (int(n) for n in icon["sizes"].split("x"))
        with Image.open(_static_path(icon["src"])) as image:
            assert image.format == "PNG" and image.size == (width, height)
    assert reverse("my_pickups") in [shortcut["url"] for shortcut in manifest["shortcuts"]]


def test_the_manifest_speaks_the_readers_language(client, db):
    manifest = json.loads(client.get("/manifest.webmanifest", HTTP_ACCEPT_LANGUAGE="en").content)

    assert manifest["lang"] == "en" and manifest["name"] == "Rebond — reuse between public facilities"


def test_the_service_worker_is_served_for_the_whole_site(client, db):
    response = client.get("/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/" and response["Cache-Control"] == "no-cache"
    first_line, code = response.content.decode().split("\n", 1)
    config = json.loads(first_line.removeprefix("self.REBOND = ").removesuffix(";"))
    assert config["offline"] == "/offline/" and config["pages"] == ["/", "/pickups/"]
    assert len(config["version"]) == 12
    for url in config["precache"]:  # our own files only, each of them served
        assert _static_path(url).is_file()
    assert not any("//" in url for url in config["precache"])
    assert "addEventListener(\"fetch\"" in code and "cdn" not in code.lower()


def test_the_workers_version_follows_the_files_it_keeps(db, settings, tmp_path):
    before = worker_config()["version"]
    assert worker_config()["version"] == before  # stable while nothing changes
    edited = tmp_path / "frontend" / "rebond.css"
    edited.parent.mkdir(parents=True)
    edited.write_text(Path(finders.find("frontend/rebond.css")).read_text() + "\n/* edited */\n")

    settings.STATICFILES_DIRS = [tmp_path]  # found before the app's own copy

    assert worker_config()["version"] != before


def test_the_offline_page_holds_nobodys_data(client, volunteer):
    client.force_login(volunteer)
    body = client.get("/offline/").content.decode()

    assert "Pas de réseau" in body and reverse("my_pickups") in body
    assert volunteer.username not in body and "csrfmiddlewaretoken" not in body
    assert signed_in(volunteer).get("/offline/").status_code == 200 and client.get("/offline/").status_code == 200


def test_pages_link_the_manifest_and_load_the_road_script(volunteer_client):
    body = volunteer_client.get(reverse("home")).content.decode()

    assert '<link rel="manifest" href="/manifest.webmanifest">' in body
    assert 'src="/static/frontend/rebond-road.js" type="module"' in body
    assert 'data-sw="/sw.js"' in body and 'id="outbox"' in body and 'id="road-strings"' in body


def test_the_precached_files_are_the_ones_pages_load(volunteer_client):
    body = volunteer_client.get(reverse("home")).content.decode()

    for name in PRECACHED_STATIC:
        if name.endswith((".css", ".js")):
            assert f"/static/{name}" in body, name


@pytest.mark.parametrize("name", list(icons.ICONS))
def test_the_committed_icons_are_the_drawn_ones(name):
    size, maskable = icons.ICONS[name]
    with Image.open(icons.FOLDER / name) as committed:
        assert committed.size == (size, size) and committed.format == "PNG"
        assert committed.mode == ("RGB" if maskable else "RGBA")
    drawn = icons.draw_icon(size, maskable=maskable)
    assert drawn.size == (size, size)


def test_the_maskable_icon_keeps_its_mark_in_the_safe_circle():
    image = icons.draw_icon(512, maskable=True).convert("RGB")
    centre, safe = 256, 0.4 * 512
    outside = [image.getpixel((x, y)) for x in range(0, 512, 8) for y in range(0, 512, 8)
               if (x - centre) ** 2 + (y - centre) ** 2 > safe ** 2]
    assert set(outside) == {icons.GREEN[:3]}  # only the background beyond the safe zone
    assert (255, 255, 255) in {image.getpixel((x, 256)) for x in range(100, 412)}  # the mark is there


#
# The volunteer's day
#
@pytest.fixture
def day(giver, staff, association, coordinator, volunteer):
    """Three stops for the volunteer on 15 June 2026: the first collected, two to make."""
    stops = []
    for hour in (9, 11, 14):
        other = OrganisationFactory(name=f"Site de {hour} h")
        other_staff = member(other)
        item = AvailableItemFactory(owner=other, quantity=2, title=f"Lot de {hour} h")
        claim = services.reservation_create(actor=volunteer, item=item, requester=association, quantity=1)
        claim = services.reservation_approve(actor=other_staff, reservation=claim)
        start = datetime.datetime(2026, 6, 15, hour, 0, tzinfo=PARIS)
        services.pickup_create(actor=coordinator, reservations=[claim], window_start=start,
                               window_end=start + datetime.timedelta(hours=1), volunteers=[volunteer])
        claim.refresh_from_db()
        stops.append(claim)
    services.reservation_collect(actor=volunteer, reservation=stops[0], handover_code=stops[0].handover_code)
    return stops


@at_noon
def test_the_day_is_a_route_with_the_next_stop_open(volunteer_client, day):
    response = volunteer_client.get(reverse("my_pickups"))
    body = response.content.decode()

    assert response["X-Rebond-Day"] == "2026-06-15"
    assert 'id="day"' in body and "data-today" in body and 'class="route"' in body
    assert body.count('class="stop stop-') == 3
    done, next_stop, later = (claim.pickup_id for claim in day)
    assert f'id="stop-{next_stop}" class="stop-details" open' in body
    assert f'id="stop-{done}" class="stop-details">' in body and f'id="stop-{later}" class="stop-details">' in body
    assert "3 arrêts" in body and "2 à faire" in body
    assert f'<a class="next-stop" href="#stop-{next_stop}">Prochain : 2. Site de 11 h</a>' in body
    # Each stop's collect form is sent through the API by the phone (weight optional).
    for claim in day[1:]:
        assert f'data-api="/api/v1/reservations/{claim.pk}/collect/"' in body
        assert f'id="weight-{claim.pk}"' in body and 'inputmode="decimal"' in body
    assert f'data-api="/api/v1/reservations/{day[0].pk}/collect/"' not in body  # collected: nothing to do


@at_noon
def test_another_day_names_its_date_and_is_not_today(volunteer_client, day):
    response = volunteer_client.get(reverse("my_pickups"), {"date": "2026-06-16"})

    assert response["X-Rebond-Day"] == "2026-06-16"
    assert "data-today" not in response.content.decode() and "Aucun enlèvement" in response.content.decode()


@at_noon
def test_the_days_queries_do_not_grow_with_its_stops(volunteer_client, day, association, coordinator, volunteer):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert volunteer_client.get(reverse("my_pickups")).status_code == 200
        return len(queries)

    three = count()
    for hour in (15, 16, 17):
        other = OrganisationFactory()
        item = AvailableItemFactory(owner=other, quantity=1)
        claim = services.reservation_create(actor=volunteer, item=item, requester=association, quantity=1)
        claim = services.reservation_approve(actor=member(other), reservation=claim)
        start = datetime.datetime(2026, 6, 15, hour, 0, tzinfo=PARIS)
        services.pickup_create(actor=coordinator, reservations=[claim], window_start=start,
                               window_end=start + datetime.timedelta(minutes=30), volunteers=[volunteer])

    assert count() == three


@at_noon
def test_collect_through_the_page_with_a_french_weight(volunteer_client, day):
    claim = day[1]
    url = reverse("reservation_action", args=[claim.pk, "collect"])

    refused = volunteer_client.post(url, {"handover_code": claim.handover_code, "weight_kg": "-3"}, follow=True)
    claim.refresh_from_db()
    assert claim.status == Reservation.Status.SCHEDULED
    assert "Le poids doit être supérieur à 0 kg." in refused.content.decode()

    volunteer_client.post(url, {"handover_code": claim.handover_code, "weight_kg": "12,5"})
    claim.refresh_from_db()
    assert claim.status == Reservation.Status.COLLECTED and claim.weight_kg == Decimal("12.50")


#
# The bar of shortcuts and the menu
#
def _tabs(body: str) -> list[str]:
    bar = body.split('class="tab-bar"', 1)[1].split("</nav>", 1)[0]
    return [part.split('"', 1)[0] for part in bar.split('href="')[1:]]


@pytest.mark.parametrize("role, expected", [
    ("volunteer", ["/pickups/", "/catalogue/", "/reservations/", "/needs/"]),
    ("coordinator", ["/pickups/", "/planner/", "/catalogue/", "/reservations/"]),
    ("staff", ["/items/", "/claims/", "/catalogue/", "/reservations/"]),
    ("viewer", ["/dashboard/", "/catalogue/", "/needs/"]),
])
def test_the_bar_holds_the_roles_main_places(request, db, role, expected):
    client = signed_in(request.getfixturevalue(role))

    body = client.get(reverse("catalogue")).content.decode()

    assert _tabs(body) == expected
    assert 'href="/catalogue/" aria-current="page"' in body.split('class="tab-bar"', 1)[1]


def test_the_menu_folds_under_one_button_and_keeps_every_place(volunteer_client):
    body = volunteer_client.get(reverse("home")).content.decode()

    menu = body.split('<details class="menu" id="menu">', 1)[1].split("</details>", 1)[0]
    assert '<summary class="menu-toggle">' in menu
    for url in ("/catalogue/", "/reservations/", "/pickups/", "/needs/", "/account/data/", "/accounts/logout/"):
        assert url in menu, url
    assert 'id="bell"' in body.split("</details>", 1)[1]  # the bell stays in the header, outside the menu


def test_signing_in_and_out_forget_the_kept_pages(client, volunteer_client):
    assert "data-forget-offline" in client.get(reverse("login")).content.decode()
    assert 'action="/accounts/logout/" class="inline" data-forget-offline' in (
        volunteer_client.get(reverse("home")).content.decode())
