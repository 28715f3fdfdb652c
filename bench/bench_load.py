"""Open-loop load: the highest request rate 1 and 2 Uvicorn workers sustain with p95 < 300 ms.

Serves the app as ``make serve-prod`` does (``uvicorn --workers N``) on PostgreSQL, with the
Redis channel layer and the Redis cache shared by the workers, on a scratch database
``rebond_bench_load`` (dropped afterwards) holding the demo plus ``BENCH_LOAD_ITEMS`` (10,000)
catalogue items and ``BENCH_USERS`` (400) volunteers with API tokens.

**Open loop.** Visits arrive at a set rate (Poisson arrivals), whatever the server's speed; a
slow server does not slow the arrivals down, as it would with a fixed number of looping users.
Each visit is one person on a phone: a catalogue page (``GET /api/v1/items/?status=available``,
one of the first 20 pages), a pause, one item of it (``GET /api/v1/items/{id}/``), and for one
visit in five a pause, a claim of one unit (``POST /api/v1/reservations/``), a pause and its
cancellation (``POST …/{id}/cancel/``): 2.4 requests a visit. The pauses (think time) are
exponential, ``BENCH_THINK`` seconds on average (1.0). A request's latency runs from the moment
it was due (its visit's arrival, or the end of the pause before it), so a lagging client
counts against us, never for us.

**The search.** Each offered rate runs for ``BENCH_STEP_SECONDS`` (12) of arrivals, then lets
its visits finish. A rate is sustained when p95 < 300 ms, no request failed (no 5xx, no
connection error, no unexpected status: a 409 on a claim whose last unit went a moment earlier
is a correct answer). A server that cannot keep up shows in p95 (latency runs from when each
request was due); the rate printed is the one offered, counted from the requests that fell
due, beside the nominal one. From 20 req/s the rate grows by half until a step fails, then is
bisected until the two ends are within 6 %. Printed: each step, the
sustainable rate for 1 and for 2 workers, and their ratio. The load generator runs on the same
machine (2 cores here): it takes CPU from the servers, and the ratio says so.

**Fault run** (``BENCH_FAULT=0`` skips it; ``BENCH_FAULT_SECONDS``, default 12): one server
process at half its sustainable rate, killed with SIGKILL half-way and started again on the
same database and port. Requests that fail while it is down are counted apart. Afterwards,
every claim answered 201 must be a row, every cancel answered 200 must have left its claim
cancelled, and ``exchange.consistency`` must find every item's counters equal to its claims.

Without PostgreSQL on 127.0.0.1:5432 the script says so and measures one worker on SQLite
(several processes on one SQLite file would measure its write lock, not the app). Without
Redis, the workers run with the in-memory layer and local caches, and the script says so.
Exit status 1 on a failed fault run.
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
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

USERS = int(os.environ.get("BENCH_USERS", "400"))
ITEMS = int(os.environ.get("BENCH_LOAD_ITEMS", "10000"))
THINK = float(os.environ.get("BENCH_THINK", "1.0"))
STEP_SECONDS = float(os.environ.get("BENCH_STEP_SECONDS", "12"))
FAULT = os.environ.get("BENCH_FAULT", "1") != "0"
FAULT_SECONDS = float(os.environ.get("BENCH_FAULT_SECONDS", "12"))
WORKERS = [int(n) for n in os.environ.get("BENCH_WORKERS", "1,2").split(",")]
P95_TARGET_MS = 300
CLAIM_SHARE = 0.2
REQUESTS_PER_VISIT = 2 + 2 * CLAIM_SHARE
PAGES = 20
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_DB = "rebond_bench_load"
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379")


def reachable(url: str, probe) -> bool:
    try:
        probe(url)
        return True
    except Exception:  # any failure means "not reachable": said, and measured without it
        return False


def pg_probe(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_DB}")


def redis_probe(url: str) -> None:
    import redis

    for db in (12, 13):
        redis.Redis.from_url(f"{url}/{db}", socket_connect_timeout=3).flushdb()


def server_env(workdir: Path, postgres: bool, redis_up: bool) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEBUG": "false",
           "DJANGO_MEDIA_ROOT": str(workdir / "media"), "DJANGO_LOG_LEVEL": "WARNING",
           "DJANGO_SQLITE_PATH": str(workdir / "bench.sqlite3")}
    for name in ("DATABASE_URL", "REDIS_URL", "DJANGO_CACHE_URL", "DJANGO_ENV"):
        env.pop(name, None)
    if postgres:
        env["DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + PG_DB
    if redis_up:
        env.update(REDIS_URL=f"{REDIS}/13", DJANGO_CACHE_URL=f"{REDIS}/12")
    return env


def prepare(env: dict) -> dict:
    """The demo, ``ITEMS`` catalogue items, and one token per simulated person."""
    for command in (["migrate", "--noinput", "-v", "0"], ["load_demo", "--items", str(ITEMS)]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from accounts.tokens import token_issue
    from inventory.models import Membership, Organisation

    association = Organisation.objects.filter(is_reuse_partner=True).order_by("pk").first()
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"bench-{n:04d}", password="!") for n in range(USERS)
    )
    Membership.objects.bulk_create(
        Membership(user=user, organisation=association, role=Membership.Role.VOLUNTEER) for user in users
    )
    return {"tokens": [token_issue(user=user)[1] for user in users]}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(env: dict, port: int, workers: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port), "--log-level",
               "warning", "--no-access-log", "config.asgi:application"]
    if workers > 1:
        command[3:3] = ["--workers", str(workers)]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + 60
    while True:  # ready when /healthz answers 200 (with several workers, one is enough to start)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                probe.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                if probe.recv(64).startswith(b"HTTP/1.1 200"):
                    return process
        except OSError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError(f"Uvicorn did not start on port {port}")
        time.sleep(0.1)


def stop_server(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


class Step:
    """What one offered rate gave: latencies by request kind, statuses and failures."""

    def __init__(self, rate: float):
        self.rate = rate
        self.due = 0  # requests that fell due
        self.latencies = []  # ms, every answered request
        self.statuses = {}  # (kind, status) -> count
        self.errors = []  # (kind, what)
        self.outage = 0  # failures while the server was down (fault run)
        self.claimed, self.cancelled = set(), set()
        self.down = False

    def p(self, fraction: float) -> float:
        if not self.latencies:
            return float("inf")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    def sustained(self) -> bool:
        return not self.errors and self.p(0.95) < P95_TARGET_MS


async def request(step: Step, kind: str, due: float, call, expected: set[int]):
    """Send when due (never before), time from when it was due."""
    loop = asyncio.get_running_loop()
    await asyncio.sleep(max(0.0, due - loop.time()))
    step.due += 1
    try:
        async with call() as response:
            body = await response.json(content_type=None) if response.status < 500 else None
            status = response.status
    except (TimeoutError, aiohttp.ClientError, ValueError) as error:
        if step.down:
            step.outage += 1
        else:
            step.errors.append((kind, repr(error)))
        return None, None, loop.time()
    done = loop.time()
    step.latencies.append((done - due) * 1000)
    step.statuses[(kind, status)] = step.statuses.get((kind, status), 0) + 1
    if status not in expected:
        step.errors.append((kind, f"HTTP {status}: {str(body)[:200]}"))
    return status, body, done


def pause() -> float:
    return random.expovariate(1 / THINK)


async def visit(session, base: str, token: str, step: Step, due: float) -> None:
    headers = {"Authorization": f"Token {token}"}
    page = random.randint(1, PAGES)
    status, body, done = await request(
        step, "list", due,
        lambda: session.get(f"{base}/items/", params={"status": "available", "page": page}, headers=headers),
        {200, 404})  # 404: that page emptied out as lots ran out
    ids = [row["id"] for row in (body or {}).get("results", [])] if status == 200 else []
    if not ids:
        return
    item = random.choice(ids)
    status, body, done = await request(
        step, "detail", done + pause(), lambda: session.get(f"{base}/items/{item}/", headers=headers), {200, 404})
    if status != 200 or random.random() >= CLAIM_SHARE:
        return
    claim = {"item": item, "quantity": 1, "mode": "donation", "purpose": "bench"}
    status, body, done = await request(
        step, "claim", done + pause(), lambda: session.post(f"{base}/reservations/", headers=headers, json=claim),
        {201, 409})  # 409: no unit left at that moment
    if status != 201:
        return
    step.claimed.add(body["id"])
    status, _body, _done = await request(
        step, "cancel", done + pause(),
        lambda: session.post(f"{base}/reservations/{body['id']}/cancel/", headers=headers, json={"reason": "bench"}),
        {200})
    if status == 200:
        step.cancelled.add(body["id"])


async def offer(port: int, tokens: list[str], rate: float, seconds: float, fault=None) -> Step:
    """Visits arriving at ``rate`` requests a second for ``seconds``; waits for them to end."""
    step = Step(rate)
    base = f"http://127.0.0.1:{port}/api/v1"
    loop = asyncio.get_running_loop()
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=timeout) as session:
        visits, due, end = [], loop.time() + 0.2, loop.time() + 0.2 + seconds
        fault_task = asyncio.create_task(fault(step, seconds / 2)) if fault else None
        while due < end:
            visits.append(asyncio.create_task(visit(session, base, random.choice(tokens), step, due)))
            due += random.expovariate(rate / REQUESTS_PER_VISIT)
            await asyncio.sleep(max(0.0, due - loop.time() - 0.05))  # create each visit just before it is due
        await asyncio.gather(*visits)
        if fault_task:
            await fault_task
    return step


def describe(step: Step, seconds: float) -> str:
    return (f"rate {step.rate:5.0f} req/s (offered {step.due / seconds:5.0f}, answered "
            f"{len(step.latencies) / seconds:5.0f})  p50 {step.p(0.5):5.0f} ms  p95 {step.p(0.95):5.0f} ms  "
            f"errors {len(step.errors)}")


def search(port: int, tokens: list[str]) -> float:
    """The highest offered rate sustained (0 if even the first fails)."""
    asyncio.run(offer(port, tokens, 10, 3))  # warm-up: connections, caches, first requests
    good, bad, rate = 0.0, None, 20.0
    while bad is None or (bad - good) / bad > 0.06:
        step = asyncio.run(offer(port, tokens, rate, STEP_SECONDS))
        ok = step.sustained()
        print(f"   {describe(step, STEP_SECONDS)}  {'sustained' if ok else 'NOT sustained'}", flush=True)
        for kind, what in step.errors[:3]:
            print(f"      error: {kind}: {what}")
        if ok:
            good = rate
        else:
            bad = rate
        rate = rate * 1.5 if bad is None else (good + bad) / 2
        if (good == 0 and bad is not None) or rate > 5000:
            break
    return good


def fault_run(env: dict, tokens: list[str], rate: float) -> bool:
    port = free_port()
    state = {"server": start_server(env, port, 1)}

    async def kill_and_restart(step: Step, after: float):
        await asyncio.sleep(after)
        step.down = True
        os.killpg(state["server"].pid, signal.SIGKILL)
        state["server"].wait()
        killed_at = time.monotonic()
        state["server"] = await asyncio.to_thread(start_server, env, port, 1)
        await asyncio.sleep(0.5)  # connections refused just before the port opened
        step.down = False
        print(f"   server killed (SIGKILL) and back in {time.monotonic() - killed_at:.1f} s")

    try:
        step = asyncio.run(offer(port, tokens, rate, FAULT_SECONDS, fault=kill_and_restart))
    finally:
        stop_server(state["server"])
    print(f"   {describe(step, FAULT_SECONDS)}; failed while the server was down: {step.outage}")
    problems = verify_after_fault(step) + [f"{kind}: {what}" for kind, what in step.errors]
    for problem in problems[:20]:
        print(f"   PROBLEM: {problem}")
    print(f"   fault run: {'FAILED' if problems else 'OK'}")
    return not problems


def verify_after_fault(step: Step) -> list[str]:
    """No committed claim lost, no cancel undone, and the quantity rule on every item."""
    from django.db import connection

    from exchange.consistency import inconsistent_items
    from exchange.models import Reservation

    connection.close()  # a fresh connection sees everything the server committed
    rows = dict(Reservation.objects.filter(pk__in=step.claimed).values_list("pk", "status"))
    problems = [f"claim #{pk} answered 201 but not in the database" for pk in sorted(step.claimed - set(rows))]
    problems += [f"claim #{pk} cancelled (200) but now {rows.get(pk)}"
                 for pk in sorted(step.cancelled) if rows.get(pk) != Reservation.Status.CANCELLED]
    inconsistent = inconsistent_items()
    problems += [f"item #{p.item_id}: reserved {p.quantity_reserved} vs held {p.held_by_claims}, "
                 f"transferred {p.quantity_transferred} vs delivered {p.delivered_donations}" for p in inconsistent]
    print(f"   claims answered 201: {len(step.claimed)}, all in the database: {not (step.claimed - set(rows))}; "
          f"cancels answered 200: {len(step.cancelled)}; every item consistent: {not inconsistent}")
    return problems


def main() -> int:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    postgres = reachable(PG_ADMIN_URL, pg_probe)
    redis_up = reachable(REDIS, redis_probe)
    workers = WORKERS if postgres else [1]
    print(f"database: {'PostgreSQL' if postgres else 'SQLite (PostgreSQL not reachable: one worker only)'}; "
          f"channel layer and cache: {'Redis' if redis_up else 'in-memory and local (Redis not reachable)'}; "
          f"{os.cpu_count()} CPUs; {USERS} users, think time {THINK:g} s, {REQUESTS_PER_VISIT:g} requests a visit, "
          f"{STEP_SECONDS:g} s a step, p95 target {P95_TARGET_MS} ms")
    workdir = Path(tempfile.mkdtemp(prefix="rebond-load-"))
    env = server_env(workdir, postgres, redis_up)
    ok = True
    try:
        data = prepare(env)
        sustained = {}
        for count in workers:
            print(f"-- {count} worker{'s' if count > 1 else ''}", flush=True)
            port = free_port()
            server = start_server(env, port, count)
            try:
                sustained[count] = search(port, data["tokens"])
            finally:
                stop_server(server)
            print(f"   sustainable: {sustained[count]:.0f} req/s with p95 < {P95_TARGET_MS} ms")
        if len(sustained) > 1:
            one = sustained[min(sustained)]
            for count, value in sorted(sustained.items())[1:]:
                print(f"== {count} workers / 1 worker: {value / one:.2f} "
                      f"({value:.0f} / {one:.0f} req/s, load generator on the same {os.cpu_count()} CPUs)")
        if FAULT and sustained.get(1):
            print("-- fault run: 1 worker at half its sustainable rate, kill -9 and restart half-way")
            ok = fault_run(env, data["tokens"], max(10.0, sustained[1] / 2))
    finally:
        if postgres:
            from django.db import connections

            connections.close_all()
            pg_probe_drop()
    return 0 if ok else 1


def pg_probe_drop() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


if __name__ == "__main__":
    sys.exit(main())
