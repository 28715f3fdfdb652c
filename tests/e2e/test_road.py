"""On the road, in a real browser at 375 px: the volunteer's day is kept on the phone by the
service worker, a pickup is collected without signal (code, weight, signature), queued in
IndexedDB, and sent when the signal returns — once, although its first answer is lost on
the way back and the phone sends it again with the same Idempotency-Key.

Nothing is installed: the test only uses what an installed app uses (the service worker,
its caches, IndexedDB) and Playwright's network switch (``context.set_offline``), which
also cuts the service worker off (Chromium; Playwright ≥ 1.5x inspects its network)."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from api.models import IdempotentRequest
from exchange import services
from exchange.models import Reservation, TransferRecord
from tests.factories import AssociationFactory, AvailableItemFactory, OrganisationFactory, member

from .test_live import asgi_server  # noqa: F401 — the Uvicorn server fixture (WebSockets)

pytestmark = pytest.mark.e2e
road_db = pytest.mark.django_db(transaction=True, serialized_rollback=True)
PASSWORD = "rebond-test"
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
PAGES_CACHE = "rebond-pages-v1"


@pytest.fixture
def day(db):
    """Karim's day: three stops of the Recyclerie du Val, the first already done."""
    association = AssociationFactory(name="Recyclerie du Val")
    karim = member(association, "volunteer", username="karim", first_name="Karim", last_name="Benali")
    sophie = member(association, "coordinator", username="sophie", first_name="Sophie")
    today = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
    stops = []
    for hour, name, title in ((0, "Collège Voltaire", "Chaises de classe"),
                              (1, "EHPAD Les Tilleuls", "Armoire métallique"),
                              (2, "Maison des solidarités", "Tables pliantes")):
        giver = OrganisationFactory(name=name, address="3 rue des Écoles", contact_name="Claire Martin",
                                    contact_phone="01 45 00 00 00")
        staff = member(giver, "staff")
        item = AvailableItemFactory(owner=giver, title=title, quantity=4)
        reservation = services.reservation_create(actor=karim, item=item, requester=association, quantity=2)
        reservation = services.reservation_approve(actor=staff, reservation=reservation)
        start = today + timedelta(hours=2 * hour)
        services.pickup_create(actor=sophie, reservations=[reservation], window_start=start,
                               window_end=start + timedelta(hours=2), volunteers=[karim])
        reservation.refresh_from_db()
        stops.append(reservation)
    first = stops[0]
    services.reservation_collect(actor=karim, reservation=first, handover_code=first.handover_code)
    return {"stops": stops, "karim": karim, "sophie": sophie, "association": association}


def sign_in(browser, base_url, username, viewport=PHONE):
    context = browser.new_context(viewport=viewport, locale="fr-FR")
    page = context.new_page()
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base_url}/")
    return context, page


def snap(shoot, page, name):
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, name)


def kept_on_the_phone(page, path: str) -> bool:
    return page.evaluate(
        "async ([name, path]) => !!(await (await caches.open(name)).match(new URL(path, location.origin).href))",
        [PAGES_CACHE, path],
    )


def open_the_day(page, base_url):
    """Load the day with signal until the service worker controls the page and keeps it."""
    page.goto(f"{base_url}/pickups/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now through the service worker, which keeps a copy
    assert page.evaluate("!!navigator.serviceWorker.controller")
    page.wait_for_function(
        "async (name) => !!(await (await caches.open(name)).match(location.origin + '/pickups/'))", arg=PAGES_CACHE,
    )


def sign(page, reservation_id):
    canvas = page.locator(f"canvas[data-signature-for='sign-{reservation_id}']")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] * 0.7)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 22, box["y"] + box["height"] * (0.7 - 0.4 * (step % 2)), steps=3)
    page.mouse.up()
    assert page.input_value(f"#sign-{reservation_id}").startswith("data:image/png;base64,")


def collections(reservation) -> int:
    statuses = list(reservation.history.order_by("history_id").values_list("status", flat=True))
    return sum(1 for before, after in zip(statuses, statuses[1:], strict=False)
               if after == "collected" and before != "collected")


@road_db
def test_collect_without_signal_then_sent_once_when_it_returns(browser, live_server, day, shoot):
    base = live_server.url
    target = day["stops"][1]
    context, page = sign_in(browser, base, "karim")

    # Online: the day, its route first, the next stop open; the phone keeps the page.
    open_the_day(page, base)
    assert page.locator(".route > li").count() == 3
    assert page.locator(f"#stop-{target.pickup_id}[open]").count() == 1  # the next stop to make
    assert page.locator("#outbox").is_hidden() and page.locator("#network-status").is_hidden()
    snap(shoot, page, "day-online")
    # The manifest and the worker are served as an installable app needs them.
    manifest = page.evaluate("fetch('/manifest.webmanifest').then(r => r.json())")
    assert manifest["start_url"].startswith("/") and manifest["display"] == "standalone"
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}
    assert any(icon["purpose"] == "maskable" for icon in manifest["icons"])

    # No signal, in the basement: the page reloads from the phone.
    context.set_offline(True)
    page.reload()
    expect(page.locator("#network-status")).to_be_visible()
    expect(page.locator("#network-status")).to_contain_text("Pas de réseau")
    assert page.locator(".route > li").count() == 3
    assert page.evaluate("navigator.onLine") is False
    # A page the phone does not keep says so, instead of the browser's error.
    page.goto(f"{base}/catalogue/")
    expect(page.locator("h1")).to_have_text("Pas de réseau")
    page.go_back()
    page.wait_for_selector(f"#stop-{target.pickup_id}")

    # Collect: code, weight (French decimal comma), signature — recorded on the phone.
    stop = page.locator(f"#stop-{target.pickup_id}")
    if stop.get_attribute("open") is None:
        stop.locator("summary").click()
    snap(shoot, page, "a-stop-offline")
    page.fill(f"#code-{target.pk}", target.handover_code)
    page.fill(f"#weight-{target.pk}", "12,5")
    sign(page, target.pk)
    page.click(f"form[data-reservation='{target.pk}'] button[type=submit].primary")

    outbox = page.locator("#outbox")
    expect(outbox).to_be_visible()
    expect(outbox.locator("h2")).to_have_text("En attente d’envoi : 1")
    expect(outbox.locator(".outbox-summary")).to_contain_text("dès le retour du réseau")
    expect(outbox.locator(".outbox-list li")).to_contain_text("Armoire métallique")
    expect(outbox.locator(".outbox-list li")).to_contain_text("12,5 kg")
    expect(page.locator(f".queued-note[data-for='{target.pk}']")).to_be_visible()
    assert page.locator(f"form[data-reservation='{target.pk}']").is_hidden()
    snap(shoot, page, "collected-offline-waiting")
    target.refresh_from_db()
    assert target.status == Reservation.Status.SCHEDULED and not IdempotentRequest.objects.exists()

    # Still without signal, the queue survives a reload (IndexedDB).
    page.reload()
    expect(page.locator("#outbox h2")).to_have_text("En attente d’envoi : 1")

    # The signal returns, but the first answer is lost on the way back: the server collected,
    # the phone did not hear it, and sends again with the same key.
    posts = []

    def lose_the_first_answer(route):
        response = route.fetch()
        posts.append({"key": route.request.headers.get("idempotency-key"), "status": response.status,
                      "replayed": response.headers.get("idempotent-replayed")})
        if len(posts) == 1:
            route.abort("internetdisconnected")
        else:
            route.fulfill(response=response)

    context.route(re.compile(r".*/api/v1/reservations/\d+/collect/$"), lose_the_first_answer)
    context.set_offline(False)
    expect(page.locator("#network-status")).to_be_hidden()
    for _ in range(100):  # the phone sends as soon as it is back online
        if posts:
            break
        page.wait_for_timeout(100)
    assert len(posts) == 1
    # No answer reached the phone: the collection still waits, with its key.
    expect(page.locator("#outbox h2")).to_have_text("En attente d’envoi : 1")
    target.refresh_from_db()
    assert target.status == Reservation.Status.COLLECTED  # … though the server did collect
    page.click("[data-outbox-send]")
    expect(page.locator(".message.success")).to_contain_text("Armoire métallique")
    expect(outbox).to_be_hidden()

    # Collected exactly once, with the weight and the signature; the day shows it.
    assert [p["key"] for p in posts] == [posts[0]["key"]] * 2 and posts[0]["key"]
    assert [(p["status"], p["replayed"]) for p in posts] == [(200, None), (200, "true")]
    target.refresh_from_db()
    assert target.status == Reservation.Status.COLLECTED and target.weight_kg == Decimal("12.50")
    assert collections(target) == 1
    record = TransferRecord.objects.get(reservation=target)
    assert record.signature.size > 500
    assert IdempotentRequest.objects.filter(user=day["karim"], key=posts[0]["key"]).count() == 1
    expect(page.locator(f"li.stop-done:has(#stop-{target.pickup_id})")).to_have_count(1)
    expect(page.locator(f"#stop-{target.pickup_id} form[action$='/deliver/']")).to_be_visible()
    snap(shoot, page, "sent-when-the-signal-returned")
    context.close()


@road_db
def test_a_refused_collection_says_why_and_can_be_tried_again(browser, live_server, day, shoot):
    base = live_server.url
    target = day["stops"][2]
    context, page = sign_in(browser, base, "karim")
    open_the_day(page, base)
    stop = page.locator(f"#stop-{target.pickup_id}")
    stop.locator("summary").click()
    context.set_offline(True)
    wrong = "000000" if target.handover_code != "000000" else "111111"
    page.fill(f"#code-{target.pk}", wrong)
    page.click(f"form[data-reservation='{target.pk}'] button[type=submit].primary")
    expect(page.locator("#outbox h2")).to_have_text("En attente d’envoi : 1")

    context.set_offline(False)

    expect(page.locator(".message.error")).to_contain_text("code")
    expect(page.locator(f".queued-note.refused[data-for='{target.pk}']")).to_be_visible()
    expect(page.locator(f"form[data-reservation='{target.pk}']")).to_be_visible()  # try again, right code
    snap(shoot, page, "refused-wrong-code")
    target.refresh_from_db()
    assert target.status == Reservation.Status.SCHEDULED and target.handover_failures == 1
    page.fill(f"#code-{target.pk}", target.handover_code)
    page.click(f"form[data-reservation='{target.pk}'] button[type=submit].primary")
    expect(page.locator(".message.success")).to_be_visible()
    target.refresh_from_db()
    assert target.status == Reservation.Status.COLLECTED and target.weight_kg is None
    expect(page.locator("#outbox h2")).to_have_text("Non envoyé : refusé par le serveur")
    page.click("[data-outbox-remove]")
    expect(page.locator("#outbox")).to_be_hidden()
    context.close()


@road_db
def test_a_live_event_refreshes_the_kept_day(browser, asgi_server, day, shoot):  # noqa: F811
    """The coordinator adds a stop while the volunteer's day is open: the page refreshes from
    the event, and the new stop is then on the phone without signal."""
    context, page = sign_in(browser, asgi_server, "karim")
    open_the_day(page, asgi_server)
    # An attribute waited on by Playwright's own matcher: a string predicate would be eval'd in
    # the page, which its Content Security Policy refuses (the test then failed when the socket
    # was not yet open at the first look).
    expect(page.locator("body")).to_have_attribute("data-live", "on", timeout=15000)
    assert page.locator(".route > li").count() == 3

    giver = OrganisationFactory(name="Crèche Les Petits Pas")
    staff = member(giver, "staff")
    item = AvailableItemFactory(owner=giver, title="Lits à barreaux", quantity=2)
    claim = services.reservation_create(actor=day["karim"], item=item, requester=day["association"], quantity=1)
    claim = services.reservation_approve(actor=staff, reservation=claim)
    # The coordinator plans it on the server (the event must come from the server's process).
    coordinator, _page = sign_in(browser, asgi_server, "sophie", DESKTOP)
    token = next(c["value"] for c in coordinator.cookies() if c["name"] == "csrftoken")
    start = timezone.localtime().replace(hour=15, minute=0, second=0, microsecond=0)
    planned = coordinator.request.post(f"{asgi_server}/api/v1/pickups/", headers={"X-CSRFToken": token}, data={
        "reservations": [claim.pk], "window_start": start.isoformat(),
        "window_end": (start + timedelta(hours=1)).isoformat(), "volunteers": [day["karim"].pk],
    })
    assert planned.status == 201, planned.text()

    expect(page.locator(".route > li")).to_have_count(4, timeout=15000)
    page.wait_for_function(
        "async (name) => (await (await (await caches.open(name)).match(location.origin + '/pickups/')).text())"
        ".includes('Crèche Les Petits Pas')", arg=PAGES_CACHE, timeout=15000,
    )
    context.set_offline(True)
    page.reload()
    expect(page.locator(".route")).to_contain_text("Crèche Les Petits Pas")
    snap(shoot, page, "refreshed-by-a-live-event-offline")
    context.close()


@pytest.fixture
def busy_day(day):
    """Karim's day made as busy as the issue's (27 stops): 25 already done, 2 to make."""
    karim, sophie, association = day["karim"], day["sophie"], day["association"]
    start = timezone.localtime().replace(hour=8, minute=0, second=0, microsecond=0)
    for n in range(24):
        giver = OrganisationFactory(name=f"Collège n° {n + 1}")
        staff = member(giver, "staff")
        claim = services.reservation_create(actor=karim, item=AvailableItemFactory(owner=giver, quantity=1),
                                            requester=association, quantity=1)
        claim = services.reservation_approve(actor=staff, reservation=claim)
        window = start + timedelta(minutes=20 * n)
        services.pickup_create(actor=sophie, reservations=[claim], window_start=window,
                               window_end=window + timedelta(minutes=20), volunteers=[karim])
        claim.refresh_from_db()
        services.reservation_collect(actor=karim, reservation=claim, handover_code=claim.handover_code)
    return day


@road_db
@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_a_busy_day_on_a_phone(browser, live_server, busy_day, shoot, screen, capsys):
    """27 stops: the route fits in a few screens, the navigation in one line and a bar at
    the bottom, every stop one tap from collect. Measured on the demo data of the issue
    (17 stops at 375 px) before this layout: 10,441 px high, the header 242 px (a third of
    the screen); after: 1,896 px and 60 px (README.md)."""
    viewport = PHONE if screen == "phone" else DESKTOP
    context, page = sign_in(browser, live_server.url, "karim", viewport)
    page.goto(f"{live_server.url}/pickups/")
    stops = page.locator(".route > li")
    expect(stops).to_have_count(27)

    height = page.evaluate("document.documentElement.scrollHeight")
    header = page.evaluate("document.querySelector('.site-header').getBoundingClientRect().height")
    with capsys.disabled():
        print(f"\n[{screen}] a day of 27 stops: page {height} px, header {header:.0f} px")
    snap(shoot, page, "busy-day")
    if screen == "phone":
        assert header <= 64 and page.locator(".tab-bar").is_visible()
        # One line a stop: 27 closed stops and the open one (its collect form) in a few screens.
        assert height < 27 * 80 + 1600
        # Large touch targets: every link and button of the route and the bar is at least 44 px high.
        small = page.evaluate("""() => [
            ...document.querySelectorAll('.route summary, .tab-bar a, .site-header summary, .day-pager a'),
        ].filter(e => e.getBoundingClientRect().height < 44).length""")
        assert small == 0
        # The menu folds under one button and opens with everything else.
        assert page.locator("#main-nav").is_hidden()
        page.click(".menu-toggle")
        expect(page.locator("#main-nav a[href='/account/data/']")).to_be_visible()
        snap(shoot, page, "menu-open")
        page.keyboard.press("Escape")
        expect(page.locator("#main-nav")).to_be_hidden()
    else:
        assert page.locator(".tab-bar").is_hidden() and page.locator("#main-nav").is_visible()
    # The next stop to make is open at its collect form, linked from the top; any other is one tap away.
    expect(page.locator("details[open] form[data-action=collect]")).to_have_count(1)
    page.click("a.next-stop")
    expect(page.locator("details[open] form[data-action=collect] .code-input")).to_be_in_viewport()
    later = page.locator(".route > li", has_text="Maison des solidarités")
    later.locator("summary").click()
    expect(later.locator("form[data-action=collect] button[type=submit]")).to_be_visible()
    context.close()


@road_db
def test_signing_out_forgets_the_kept_pages(browser, live_server, day):
    context, page = sign_in(browser, live_server.url, "karim")
    open_the_day(page, live_server.url)
    assert kept_on_the_phone(page, "/pickups/")
    if page.locator(".menu-toggle").is_visible():
        page.click(".menu-toggle")
    page.click("form[action$='/accounts/logout/'] button")
    page.wait_for_url(re.compile(r".*/accounts/login/.*"))
    page.wait_for_function(
        "async (name) => !(await (await caches.open(name)).match(location.origin + '/pickups/'))", arg=PAGES_CACHE,
    )
    assert not kept_on_the_phone(page, "/pickups/")
    context.close()


@road_db
def test_what_waits_is_sent_only_by_the_person_who_recorded_it(browser, live_server, day):
    """A shared phone: Karim records a collection, cannot send it and signs out; Léa signs
    in on the same phone and sees that something waits, but it is not sent as hers; Karim
    signs in again and it goes."""
    base = live_server.url
    target = day["stops"][1]
    member(day["association"], "volunteer", username="lea")
    context, page = sign_in(browser, base, "karim")
    open_the_day(page, base)
    sent = []
    blocked = {"on": True}

    def count_then_maybe_block(route):
        sent.append(route.request.headers.get("cookie", ""))
        if blocked["on"]:
            route.abort("internetdisconnected")
        else:
            route.continue_()

    context.route(re.compile(r".*/api/v1/reservations/\d+/collect/$"), count_then_maybe_block)
    context.set_offline(True)
    page.fill(f"#code-{target.pk}", target.handover_code)
    page.click(f"form[data-reservation='{target.pk}'] button[type=submit].primary")
    expect(page.locator("#outbox h2")).to_have_text("En attente d’envoi : 1")
    context.set_offline(False)  # the signal is back but the server cannot be reached
    for _ in range(50):
        if sent:
            break
        page.wait_for_timeout(100)
    assert len(sent) == 1

    # Karim signs out: the phone warns that something still waits.
    if page.locator(".menu-toggle").is_visible():
        page.click(".menu-toggle")
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    page.click("form[action$='/accounts/logout/'] button")
    page.wait_for_url(re.compile(r".*/accounts/login/.*"))
    assert dialogs and "attendent encore" in dialogs[0]

    # Léa on the same phone: told that an entry of another account waits; nothing is sent.
    blocked["on"] = False
    page.fill("#id_username", "lea")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/")
    expect(page.locator("#outbox")).to_contain_text("par un autre compte")
    page.wait_for_timeout(1500)
    assert len(sent) == 1
    target.refresh_from_db()
    assert target.status == Reservation.Status.SCHEDULED

    # Karim again: it goes, as his.
    if page.locator(".menu-toggle").is_visible():
        page.click(".menu-toggle")
    page.click("form[action$='/accounts/logout/'] button")
    page.wait_for_url(re.compile(r".*/accounts/login/.*"))
    page.fill("#id_username", "karim")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/")
    expect(page.locator(".message.success")).to_contain_text("Armoire métallique")
    target.refresh_from_db()
    assert target.status == Reservation.Status.COLLECTED
    history = target.history.filter(status=Reservation.Status.COLLECTED).order_by("history_id").first()
    assert history.history_user == day["karim"]
    context.close()
