"""Real-time fan-out: one claim, N connected WebSocket clients, time until the last one has it.

Serves the app with Uvicorn (as ``make demo`` does; ``BENCH_SERVER=daphne`` for Daphne) on a
scratch SQLite database, connects N clients (100, 500, 1000)
to ``/ws/events/`` as volunteers of the claiming association, then repeatedly sends one claim
through the API (``POST /api/v1/reservations/``) and measures, from the moment the request
leaves, the time until the LAST client has received its ``reservation.created`` event (the
claim is then cancelled, so the lot never runs out). Median of the repeats.

Two set-ups in the same run: the in-memory channel layer with one server process (the
embedded default), and the Redis channel layer (``api.layers.RedisLayer``) with two server
processes and the clients split between them (needs Redis on 127.0.0.1:6379; skipped, and
said so, otherwise). Target: 1000 clients served within 250 ms at the median, 0 lost: a
delivery is lost when a client has not had its event 10 s after the claim. The servers' logs
go to the scratch folder; the script prints how many errors they hold (``Exception in ASGI
application``: each one ended a socket) and the last one.

``BENCH_CLIENTS`` (comma-separated) and ``BENCH_REPEATS`` override the defaults.
"""

import asyncio
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CLIENTS = [int(n) for n in os.environ.get("BENCH_CLIENTS", "100,500,1000").split(",")]
REPEATS = int(os.environ.get("BENCH_REPEATS", "7"))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
TARGET_MS = 250
LOST_AFTER_S = 10


def prepare_database(path: str) -> dict:
    """Migrate a scratch database and create the people, the item and the API tokens."""
    os.environ.update(DJANGO_SETTINGS_MODULE="config.settings", DJANGO_SQLITE_PATH=path, DJANGO_LOG_LEVEL="WARNING")
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from accounts.tokens import token_issue
    from inventory import services
    from inventory.models import Category, Commune, Item, Membership, Organisation
    from tests.factories import upload

    call_command("migrate", verbosity=0)
    commune = Commune.objects.get(insee="94081")
    common = {"address": "1 rue de la Paix", "postcode": commune.postcode, "commune": commune}
    giver = Organisation.objects.create(name="EHPAD Bench", kind="care_home", **common)
    association = Organisation.objects.create(name="Ressourcerie Bench", kind="association",
                                              is_reuse_partner=True, **common)
    User = get_user_model()
    staff = User.objects.create_user("bench-staff")
    listener = User.objects.create_user("bench-listener")
    claimant = User.objects.create_user("bench-claimant")
    Membership.objects.create(user=staff, organisation=giver, role="staff")
    Membership.objects.create(user=listener, organisation=association, role="volunteer")
    Membership.objects.create(user=claimant, organisation=association, role="volunteer")
    item = services.item_create(actor=staff, owner=giver, title="Chaises", condition=Item.Condition.GOOD,
                                category=Category.objects.get(key="office-chair"), quantity=100_000)
    services.photo_add(actor=staff, item=item, upload=upload())
    services.item_publish(actor=staff, item=item)
    return {
        "item": item.pk,
        "listener": token_issue(user=listener)[1],
        "claimant": token_issue(user=claimant)[1],
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


SERVER = os.environ.get("BENCH_SERVER", "uvicorn")


def server_command(port: int) -> list[str]:
    if SERVER == "daphne":
        return [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"]
    return [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
            "--no-access-log", "config.asgi:application"]


def start_servers(count: int, db_path: str, redis_url: str | None, logs: list[Path]) -> tuple[list, list[int]]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_SQLITE_PATH": db_path,
           "DJANGO_DEBUG": "false", "DJANGO_LOG_LEVEL": "WARNING", "DJANGO_API_RATE_USER": "1000000/minute"}
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    ports = [free_port() for _ in range(count)]
    processes = []
    for port in ports:
        logs.append(Path(db_path).with_name(f"server-{port}.log"))
        with logs[-1].open("w") as log:
            processes.append(subprocess.Popen(server_command(port), cwd=ROOT, env=env, stdout=log,
                                              stderr=subprocess.STDOUT))
    for port in ports:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{SERVER} did not start on port {port}") from None
                time.sleep(0.1)
    return processes, ports


async def run(ports: list[int], data: dict, clients: int) -> tuple[list[float], int, list]:
    """Connect ``clients`` sockets across ``ports``, then time ``REPEATS`` claims: the times
    until the last client had each event, the deliveries lost, the close codes of sockets the
    server ended."""
    waiting: dict[int, asyncio.Future] = {}
    arrivals: dict[int, list[float]] = {}
    expected = {"n": clients, "id": None}
    closed = []  # close codes of sockets the server ended before the run was over

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        async def listen(port: int, ready: asyncio.Event):
            url = f"ws://127.0.0.1:{port}/ws/events/?token={data['listener']}"
            async with session.ws_connect(url, origin=f"http://127.0.0.1:{port}", heartbeat=None) as ws:
                ready.set()
                async for message in ws:
                    if message.type != aiohttp.WSMsgType.TEXT:
                        break
                    event = message.json()
                    if event.get("type") == "reservation.created":
                        now = time.perf_counter()
                        arrivals.setdefault(event["id"], []).append(now)
                        if len(arrivals[event["id"]]) == expected["n"] and event["id"] in waiting:
                            waiting[event["id"]].set_result(now)
                closed.append(ws.close_code)

        tasks, batch = [], []
        for index in range(clients):
            ready = asyncio.Event()
            tasks.append(asyncio.create_task(listen(ports[index % len(ports)], ready)))
            batch.append(ready.wait())
            if len(batch) == 100:  # connect in waves, as real browsers would not all arrive at once
                await asyncio.wait_for(asyncio.gather(*batch), 60)
                batch = []
        if batch:
            await asyncio.wait_for(asyncio.gather(*batch), 60)
        await asyncio.sleep(0.5)

        api = f"http://127.0.0.1:{ports[0]}/api/v1"
        headers = {"Authorization": f"Token {data['claimant']}"}
        samples, lost = [], 0
        for _ in range(REPEATS + 1):  # the first claim warms the server up and is not counted
            started = time.perf_counter()
            async with session.post(f"{api}/reservations/", headers=headers,
                                    json={"item": data["item"], "quantity": 1, "mode": "donation"}) as response:
                body = await response.json()
                if response.status != 201:
                    raise RuntimeError(f"claim refused: {response.status} {body}")
            claim = body["id"]
            done = waiting.setdefault(claim, asyncio.get_running_loop().create_future())
            if len(arrivals.get(claim, [])) == clients and not done.done():
                done.set_result(arrivals[claim][-1])
            try:
                samples.append((await asyncio.wait_for(done, LOST_AFTER_S) - started) * 1000)
            except TimeoutError:
                lost += clients - len(arrivals.get(claim, []))
            async with session.post(f"{api}/reservations/{claim}/cancel/", headers=headers,
                                    json={"reason": "bench"}) as response:
                await response.read()
            await asyncio.sleep(0.2)
        closed_early = list(closed)
        for task in tasks:
            task.cancel()
        return samples[1:], lost, closed_early


def run_loop(coroutine):
    """The clients run on uvloop when it is installed, like the server does."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def redis_available() -> bool:
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        client.ping()
        client.flushdb()
        return True
    except Exception:
        return False


def main() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    db_path = str(Path(tempfile.mkdtemp(prefix="rebond-fanout-")) / "bench.sqlite3")
    data = prepare_database(db_path)
    setups = [(f"in-memory, 1 {SERVER}", 1, None)]
    if redis_available():
        setups.append((f"Redis, 2 {SERVER}", 2, REDIS_URL))
    else:
        print(f"Redis at {REDIS_URL} not reachable: the Redis set-up is SKIPPED")
    header = f"{'set-up':<22} {'clients':>7} {'median ms':>10} {'max ms':>8} {'lost':>6} {'closed':>6}"
    print(header, f"(last client has the event; {REPEATS} claims; lost of {REPEATS} x clients deliveries)")
    failed = False
    for label, workers, redis_url in setups:
        logs = []
        processes, ports = start_servers(workers, db_path, redis_url, logs)
        try:
            for clients in CLIENTS:
                samples, lost, closed = run_loop(run(ports, data, clients))
                median = statistics.median(samples) if samples else float("inf")
                verdict = ""
                if clients == 1000:
                    verdict = "  within target" if median <= TARGET_MS and not lost else "  OVER TARGET"
                failed = failed or bool(lost or closed)
                print(f"{label:<22} {clients:>7} {median:>10.1f} {max(samples, default=0):>8.1f} {lost:>6} "
                      f"{len(closed):>6}{verdict}")
            errors = [chunk for log in logs for chunk in log.read_text().split("ERROR:")[1:]]
            if errors:
                print(f"   the servers logged {len(errors)} errors; the last: {errors[-1].strip().splitlines()[-1]}")
        finally:
            for process in processes:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:  # still waiting on open sockets to close
                    process.kill()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
