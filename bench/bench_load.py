"""Load and faults: the served ASGI app under 100 browsing users and 20 claiming users.

Serves the app with Uvicorn on loopback (one process, as ``make demo`` does) on a scratch
SQLite database built by ``manage.py migrate`` and ``manage.py load_demo``, adds 120 users of
the demo's reuse association with API tokens, then for ``BENCH_LOAD_SECONDS`` (default 15;
the issue's run is 60):

- 100 **browsers** loop: a catalogue page (``GET /api/v1/items/?status=available``, a random
  page) then one item of it (``GET /api/v1/items/{id}/``);
- 20 **claimers** loop: claim one unit of a random available item
  (``POST /api/v1/reservations/``), then cancel that claim (``POST …/{id}/cancel/``).

No think time: each simulated user sends its next request as soon as the last one answered.
It prints the request rate, p50/p95 latency (overall and per request kind) and the errors:
any 5xx, any connection failure, any unexpected status. A 409 on a claim (the last unit went
to someone else a moment earlier) is a correct answer, counted apart, not an error.

Then the **fault run** (``BENCH_FAULT=0`` skips it; ``BENCH_FAULT_SECONDS``, default 10): the
same load, the server killed with SIGKILL half-way and started again on the same database
and port. Requests that fail while it is down are expected and counted apart. Afterwards:
every claim that was answered 201 must exist as a row, every cancel answered 200 must have
left its claim cancelled, and ``exchange.consistency`` must find every item's counters equal
to its claims. The script exits with status 1 otherwise (or on any error in the clean run).

Throttling: each simulated user has its own account and token, so the default per-user
rate (1 200/minute) applies as in production; none is reached at these speeds.
"""

import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "15"))
FAULT = os.environ.get("BENCH_FAULT", "1") != "0"
FAULT_SECONDS = float(os.environ.get("BENCH_FAULT_SECONDS", "10"))
BROWSERS = int(os.environ.get("BENCH_BROWSERS", "100"))
CLAIMERS = int(os.environ.get("BENCH_CLAIMERS", "20"))


def prepare(workdir: Path) -> dict:
    """A migrated demo database with one token per simulated user."""
    env = server_env(workdir)
    for command in (["migrate", "--noinput", "-v", "0"], ["load_demo"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from accounts.tokens import token_issue
    from inventory.models import Item, Membership, Organisation

    association = Organisation.objects.filter(is_reuse_partner=True).order_by("pk").first()
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"bench-{n:03d}", password="!") for n in range(BROWSERS + CLAIMERS)
    )
    Membership.objects.bulk_create(
        Membership(user=user, organisation=association, role=Membership.Role.VOLUNTEER) for user in users
    )
    keys = [token_issue(user=user)[1] for user in users]
    items = list(Item.objects.filter(status=Item.Status.AVAILABLE).values_list("pk", flat=True))
    return {"tokens": keys, "items": items}


def server_env(workdir: Path) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEBUG": "false",
           "DJANGO_SQLITE_PATH": str(workdir / "bench.sqlite3"), "DJANGO_MEDIA_ROOT": str(workdir / "media"),
           "DJANGO_LOG_LEVEL": "WARNING"}
    for name in ("DATABASE_URL", "REDIS_URL", "DJANGO_ENV"):
        env.pop(name, None)
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(workdir: Path, port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
         "--no-access-log", "config.asgi:application"],
        cwd=ROOT, env=server_env(workdir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"Uvicorn did not start on port {port}") from None
            time.sleep(0.05)


class Recorder:
    def __init__(self):
        self.samples = defaultdict(list)  # kind -> latencies in ms (answered requests)
        self.statuses = defaultdict(int)  # (kind, status) -> count
        self.errors = []  # (kind, what)
        self.outage = 0  # requests that failed while the server was down (fault run)
        self.claimed = set()  # claim ids answered 201
        self.cancelled = set()  # claim ids whose cancel was answered 200
        self.down = False


async def timed(recorder: Recorder, kind: str, call, expected: set[int]):
    started = time.perf_counter()
    try:
        async with call() as response:
            body = await response.json(content_type=None) if response.status < 500 else None
            status = response.status
    except (TimeoutError, aiohttp.ClientError, ValueError) as error:
        if recorder.down:
            recorder.outage += 1
        else:
            recorder.errors.append((kind, repr(error)))
        await asyncio.sleep(0.05)
        return None, None
    recorder.samples[kind].append((time.perf_counter() - started) * 1000)
    recorder.statuses[(kind, status)] += 1
    if status not in expected:
        recorder.errors.append((kind, f"HTTP {status}: {str(body)[:200]}"))
    return status, body


async def browser(session, base, token, items, recorder, stop):
    headers = {"Authorization": f"Token {token}"}
    pages = max(1, (len(items) + 24) // 25)
    while time.monotonic() < stop[0]:
        page = random.randint(1, pages)
        status, body = await timed(
            recorder, "list",
            lambda page=page: session.get(f"{base}/items/", params={"status": "available", "page": page},
                                          headers=headers),
            {200, 404},  # 404: that page emptied out as lots ran out
        )
        ids = [row["id"] for row in (body or {}).get("results", [])] if status == 200 else []
        item = random.choice(ids or items)
        await timed(recorder, "detail", lambda item=item: session.get(f"{base}/items/{item}/", headers=headers),
                    {200, 404})


async def claimer(session, base, token, items, recorder, stop):
    headers = {"Authorization": f"Token {token}"}
    while time.monotonic() < stop[0]:
        item = random.choice(items)
        status, body = await timed(
            recorder, "claim",
            lambda item=item: session.post(f"{base}/reservations/", headers=headers,
                                 json={"item": item, "quantity": 1, "mode": "donation", "purpose": "bench"}),
            {201, 409},  # 409: no unit left at that moment
        )
        if status != 201:
            continue
        claim = body["id"]
        recorder.claimed.add(claim)
        status, _body = await timed(
            recorder, "cancel",
            lambda claim=claim: session.post(f"{base}/reservations/{claim}/cancel/", headers=headers,
                                             json={"reason": "bench"}),
            {200},
        )
        if status == 200:
            recorder.cancelled.add(claim)


async def load(port: int, data: dict, seconds: float, fault=None) -> Recorder:
    recorder = Recorder()
    stop = [time.monotonic() + seconds]
    base = f"http://127.0.0.1:{port}/api/v1"
    tokens = data["tokens"]
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=timeout) as session:
        users = [browser(session, base, tokens[n], data["items"], recorder, stop) for n in range(BROWSERS)]
        users += [claimer(session, base, tokens[BROWSERS + n], data["items"], recorder, stop)
                  for n in range(CLAIMERS)]
        tasks = [asyncio.create_task(user) for user in users]
        if fault:
            await asyncio.sleep(seconds / 2)
            await fault(recorder)
        await asyncio.gather(*tasks)
    return recorder


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def report(title: str, recorder: Recorder, seconds: float) -> None:
    every = [ms for samples in recorder.samples.values() for ms in samples]
    print(f"-- {title}: {BROWSERS} browsing + {CLAIMERS} claiming users, {seconds:g} s")
    print(f"   requests answered: {len(every)}  rate: {len(every) / seconds:.0f} req/s  "
          f"p50: {percentile(every, .5):.0f} ms  p95: {percentile(every, .95):.0f} ms  errors: {len(recorder.errors)}")
    for kind in ("list", "detail", "claim", "cancel"):
        samples = recorder.samples.get(kind, [])
        if samples:
            codes = ", ".join(f"{status}×{n}" for (k, status), n in sorted(recorder.statuses.items()) if k == kind)
            print(f"   {kind:<7} {len(samples):>6}  p50 {percentile(samples, .5):>5.0f} ms  "
                  f"p95 {percentile(samples, .95):>5.0f} ms  ({codes})")
    for kind, what in recorder.errors[:10]:
        print(f"   error: {kind}: {what}")


def verify_after_fault(recorder: Recorder) -> list[str]:
    """No committed claim lost, no cancel undone, and the quantity rule on every item."""
    from django.db import connection

    from exchange.consistency import inconsistent_items
    from exchange.models import Reservation

    connection.close()  # a fresh connection sees everything the server committed
    rows = dict(Reservation.objects.filter(purpose="bench").values_list("pk", "status"))
    problems = [f"claim #{pk} answered 201 but not in the database" for pk in sorted(recorder.claimed - set(rows))]
    problems += [f"claim #{pk} cancelled (200) but now {rows.get(pk)}"
                 for pk in sorted(recorder.cancelled) if rows.get(pk) != Reservation.Status.CANCELLED]
    problems += [f"item #{p.item_id}: reserved {p.quantity_reserved} vs held {p.held_by_claims}, "
                 f"transferred {p.quantity_transferred} vs delivered {p.delivered_donations}"
                 for p in inconsistent_items()]
    print(f"   claims answered 201: {len(recorder.claimed)}, all in the database: "
          f"{not (recorder.claimed - set(rows))}; bench claims in the database (both runs): {len(rows)} "
          f"(a claim may commit while its answer is lost in the kill); cancels answered 200: "
          f"{len(recorder.cancelled)}; items checked: consistent = {not inconsistent_items()}")
    return problems


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="rebond-load-"))
    data = prepare(workdir)
    port = free_port()
    server = start_server(workdir, port)
    failed = False
    try:
        recorder = asyncio.run(load(port, data, SECONDS))
        report("load", recorder, SECONDS)
        failed = bool(recorder.errors)
        if FAULT:
            state = {"server": server}

            async def kill_and_restart(recorder: Recorder):
                recorder.down = True
                state["server"].send_signal(signal.SIGKILL)
                state["server"].wait()
                killed_at = time.monotonic()
                state["server"] = await asyncio.to_thread(start_server, workdir, port)
                await asyncio.sleep(0.5)  # connections refused just before the port opened
                recorder.down = False
                print(f"   server killed (SIGKILL) and back in {time.monotonic() - killed_at:.1f} s")

            recorder = asyncio.run(load(port, data, FAULT_SECONDS, fault=kill_and_restart))
            server = state["server"]
            report("fault run (kill -9 and restart half-way)", recorder, FAULT_SECONDS)
            print(f"   requests failed while the server was down: {recorder.outage}")
            problems = verify_after_fault(recorder) + [f"{kind}: {what}" for kind, what in recorder.errors]
            for problem in problems[:20]:
                print(f"   PROBLEM: {problem}")
            print(f"   fault run: {'FAILED' if problems else 'OK'}")
            failed = failed or bool(problems)
    finally:
        server.terminate()
        server.wait()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
