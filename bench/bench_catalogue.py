"""Catalogue page: the API at 10,000 and at 1,000,000 items, against one hand-written query.

Measures requests per second of ``/api/v1/items/?status=available&page_size=50`` (DRF:
authentication, throttling, filterset, visibility rules, pagination with a count bounded at
10,000, rows from ``values()`` with their photos) against a plain Django view returning the
same page from one SQL query (the same bounded count, photos as a JSON sub-select). Both go
through the same in-process Django test client and middleware, signed in as the same volunteer.
Also times the list's rows (``api.inventory.rows``) against ``ItemSerializer`` on the same page.

In one PostgreSQL run (a scratch database ``rebond_bench``, dropped afterwards): the page at
``BENCH_ITEMS`` (10,000), then ``load_demo --items`` up to ``BENCH_LARGE_ITEMS`` (1,000,000)
and the page again. Targets: time at 1M / time at 10k <= 1.3, API/raw >= 0.7, rows >= 3x the
serializer. ``BENCH_SQLITE=1`` adds a SQLite run at ``BENCH_ITEMS`` first; ``BENCH_REQUESTS``
sets the requests per side (300).
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ITEMS = int(os.environ.get("BENCH_ITEMS", "10000"))
LARGE_ITEMS = int(os.environ.get("BENCH_LARGE_ITEMS", "1000000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "300"))
API_URL = "/api/v1/items/?status=available&page_size=50"
RAW_URL = "/bench/raw-items/?page_size=50"
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_BENCH_DB = os.environ.get("BENCH_PG_DB", "rebond_bench")


def configure(backend: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DJANGO_DEBUG"] = "false"  # no query log: measure the code, not the debug tooling
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    os.environ["DJANGO_API_RATE_USER"] = "100000000/minute"  # throttling still runs, never trips
    os.environ["DJANGO_LOG_LEVEL"] = "WARNING"
    os.environ["DJANGO_MEDIA_ROOT"] = tempfile.mkdtemp(prefix="rebond-bench-media-")
    if backend == "sqlite":
        os.environ.pop("DATABASE_URL", None)
        os.environ["DJANGO_SQLITE_PATH"] = str(Path(tempfile.mkdtemp(prefix="rebond-bench-")) / "bench.sqlite3")
    else:
        os.environ["DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + PG_BENCH_DB


#
# Data
#
def populate(items: int = ITEMS, *, migrate: bool = True) -> None:
    import io

    from django.core.management import call_command, get_commands

    if migrate:
        call_command("migrate", verbosity=0)
    started = time.perf_counter()
    if "load_demo" in get_commands():
        call_command("load_demo", items=items, stdout=io.StringIO())
        how = "load_demo --items"
    else:
        bulk_items(items)
        how = "bulk_create (load_demo not available)"
    print(f"  {items} items via {how} in {time.perf_counter() - started:.1f} s")
    # Planner statistics and visibility, as autovacuum would have made them on a live database.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def bulk_items(count: int) -> None:
    """Items (3 in 4 available) with one photo each, spread over 50 givers."""
    from django.db import transaction
    from django.utils import timezone

    from inventory.models import Category, Commune, Item, Organisation, Photo

    commune = Commune.objects.get(insee="94028")
    givers = Organisation.objects.bulk_create(
        Organisation(name=f"Bench giver {n}", kind="care_home", address="1 rue", postcode="94000", commune=commune)
        for n in range(50)
    )
    categories = list(Category.objects.filter(parent__isnull=False))
    now = timezone.now()
    with transaction.atomic():
        for start in range(0, count, 5000):
            items = Item.objects.bulk_create(
                Item(
                    owner=givers[n % len(givers)], title=f"Article {n}", description="Bon état général.",
                    category=categories[n % len(categories)], condition="good", quantity=1 + n % 4,
                    status="available" if n % 4 else "draft", created_at=now - timezone.timedelta(minutes=n),
                )
                for n in range(start, min(count, start + 5000))
            )
            Photo.objects.bulk_create(
                Photo(item=item, image="photos/be/bench.jpg", thumbnail="photos/be/bench_t.webp", width=800,
                      height=600, alt_text=item.title)
                for item in items
            )


def bench_user():
    from django.contrib.auth import get_user_model

    from inventory.models import Commune, Membership, Organisation

    association = Organisation.objects.create(
        name="Bench association", kind="association", address="1 rue", postcode="94000",
        commune=Commune.objects.get(insee="94028"), is_reuse_partner=True,
    )
    user = get_user_model().objects.create_user("bench-volunteer", password="x")
    Membership.objects.create(user=user, organisation=association, role=Membership.Role.VOLUNTEER)
    return user


#
# The raw view: the same page from one hand-written query (bench-only URLconf)
#
ITEM_COLUMNS = (
    "id", "owner_id", "title", "description", "category_id", "condition", "quantity", "unit_weight_kg",
    "unit_value_eur", "width_cm", "depth_cm", "height_cm", "floor", "has_lift", "opening_hours", "pickup_notes",
    "inventory_number", "acquisition_date", "acquisition_value_eur", "available_from", "available_until",
    "quantity_reserved", "quantity_transferred", "status", "published_at", "created_at", "updated_at",
)
PHOTOS_SQL = {
    "sqlite": """(SELECT json_group_array(json_object('id', p.id, 'image', p.image, 'thumbnail', p.thumbnail,
                    'width', p.width, 'height', p.height, 'order', p."order", 'alt_text', p.alt_text))
                  FROM (SELECT * FROM inventory_photo WHERE item_id = i.id ORDER BY "order", id) p)""",
    "postgresql": """(SELECT COALESCE(json_agg(json_build_object('id', p.id, 'image', p.image,
                    'thumbnail', p.thumbnail, 'width', p.width, 'height', p.height, 'order', p."order",
                    'alt_text', p.alt_text) ORDER BY p."order", p.id), '[]')::text
                  FROM inventory_photo p WHERE p.item_id = i.id)""",
}
# The page first (LIMIT before anything per row), then its photos and the count (bounded at
# 10,000 as the API's: the same work on both sides).
RAW_SQL = """
    WITH i AS (
        SELECT {columns} FROM inventory_item WHERE status = %s ORDER BY created_at DESC LIMIT %s
    )
    SELECT {columns}, (SELECT COUNT(*) FROM (SELECT 1 FROM inventory_item WHERE status = %s LIMIT 10001) c) AS total,
           {photos} AS photos
    FROM i ORDER BY created_at DESC
"""


def raw_items(request):
    from django.conf import settings
    from django.db import connection
    from django.http import HttpResponseForbidden, JsonResponse

    if not request.user.is_authenticated:
        return HttpResponseForbidden()
    size = min(int(request.GET.get("page_size", 50)), 100)
    sql = RAW_SQL.format(columns=", ".join(ITEM_COLUMNS), photos=PHOTOS_SQL[connection.vendor])
    with connection.cursor() as cursor:
        cursor.execute(sql, ["available", size, "available"])
        rows = cursor.fetchall()
    media = request.build_absolute_uri(settings.MEDIA_URL)
    results, total = [], 0
    for row in rows:
        item = dict(zip(ITEM_COLUMNS, row, strict=False))
        total = row[len(ITEM_COLUMNS)]
        photos = json.loads(row[len(ITEM_COLUMNS) + 1])
        for photo in photos:
            photo["image"], photo["thumbnail"] = media + photo["image"], media + photo["thumbnail"]
        item["quantity_available"] = item.pop("quantity") - item.pop("quantity_reserved") - item.pop(
            "quantity_transferred"
        )
        item["photos"] = photos
        results.append({key: (str(value) if value is not None and not isinstance(value, int | str | list)
                              else value) for key, value in item.items()})
    return JsonResponse({"count": total, "next": None, "previous": None, "results": results})


def install_bench_urlconf() -> None:
    from django.conf import settings
    from django.urls import include, path

    module = types.ModuleType("bench_urls")
    module.urlpatterns = [path("bench/raw-items/", raw_items), path("", include("config.urls"))]
    sys.modules["bench_urls"] = module
    settings.ROOT_URLCONF = "bench_urls"


#
# Measure
#
def rate(client, url: str, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        response = client.get(url)
        assert response.status_code == 200, response.status_code
    return n / (time.perf_counter() - started)


def count_queries(connection, client, url: str) -> int:
    count = [0]

    def counter(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        client.get(url)
    return count[0]


def measure(connection, client) -> tuple[float, float]:
    """The API's and the raw view's rates on the same page; prints them."""
    api_page, raw_page = client.get(API_URL).json(), client.get(RAW_URL).json()
    assert [r["id"] for r in api_page["results"]] == [r["id"] for r in raw_page["results"]], "not the same page"
    assert api_page["count"] == raw_page["count"] and len(api_page["results"]) == 50
    api_queries, raw_queries = count_queries(connection, client, API_URL), count_queries(connection, client, RAW_URL)

    rate(client, API_URL, 20), rate(client, RAW_URL, 20)  # warm caches and the connection
    # Interleave halves so drift (CPU frequency, cache) hits both sides alike.
    half = REQUESTS // 2
    api, raw = [], []
    for _ in range(2):
        api.append(rate(client, API_URL, half))
        raw.append(rate(client, RAW_URL, half))
    api_rate, raw_rate = sum(api) / 2, sum(raw) / 2
    print(f"  count {api_page['count']}; page of 50; {REQUESTS} requests per side")
    print(f"  API  {API_URL}: {api_rate:7.1f} req/s, {1000 / api_rate:5.1f} ms ({api_queries} queries per request)")
    print(f"  raw  one SQL query view:                        {raw_rate:7.1f} req/s, {1000 / raw_rate:5.1f} ms "
          f"({raw_queries} queries)")
    ratio = api_rate / raw_rate
    print(f"  ratio API/raw: {ratio:.2f} (target >= 0.70) {'OK' if ratio >= 0.7 else 'BELOW TARGET'}")
    return api_rate, raw_rate


def rows_against_serializer(user, n: int = 100) -> float:
    """The list's rows from values() against ItemSerializer on the same page of 50 (each with
    its own queries: values + photos, or instances + prefetches)."""
    from rest_framework.test import APIRequestFactory

    from api.inventory.rows import item_rows, item_values
    from api.inventory.serializers import ItemSerializer
    from inventory import permissions

    request = APIRequestFactory().get(API_URL)
    page = permissions.visible_items(user, statuses=["available"]).order_by("-created_at")

    def serializer():
        items = list(page.prefetch_related("photos", "booking_rules__organisations")[:50])
        return ItemSerializer(items, many=True, context={"request": request}).data

    def rows():
        return item_rows(list(item_values(page)[:50]), request=request)

    assert json.dumps(serializer(), default=str) == json.dumps(rows(), default=str), "not the same rows"
    timings = {}
    for name, build in (("serializer", serializer), ("rows", rows), ("serializer", serializer), ("rows", rows)):
        started = time.perf_counter()
        for _ in range(n // 2):
            build()
        timings[name] = timings.get(name, 0) + (time.perf_counter() - started)
    old, new = timings["serializer"] / n * 1000, timings["rows"] / n * 1000
    print(f"  page of 50 built by ItemSerializer: {old:6.2f} ms; by api.inventory.rows: {new:6.2f} ms")
    verdict = "OK" if old / new >= 3 else "BELOW TARGET"
    print(f"  rows {old / new:.1f}x faster than the serializer (target >= 3) {verdict}")
    return old / new


def run(backend: str) -> float:
    configure(backend)
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    populate()
    install_bench_urlconf()
    client = Client()
    user = bench_user()
    client.force_login(user)
    print(f"-- at {ITEMS} items")
    small_api, _ = measure(connection, client)
    rows_against_serializer(user)
    if backend != "postgresql":
        return 0
    populate(LARGE_ITEMS - ITEMS, migrate=False)
    print(f"-- at {LARGE_ITEMS} items")
    large_api, _ = measure(connection, client)
    growth = small_api / large_api
    print(f"  API page time at {LARGE_ITEMS} / at {ITEMS} items: {growth:.2f} (target <= 1.3) "
          f"{'OK' if growth <= 1.3 else 'ABOVE TARGET'}")
    return growth


def postgres_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {PG_BENCH_DB}")
        return True
    except Exception as error:  # any failure means "not reachable": the SQLite figures stand alone
        print(f"== PostgreSQL not reachable ({type(error).__name__}); skipped")
        return False


def drop_postgres_db() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")


def main() -> int:
    if len(sys.argv) > 1:  # a child run for one backend
        run(sys.argv[1])
        return 0
    status = 0
    if os.environ.get("BENCH_SQLITE"):
        print("== SQLite")
        status = subprocess.call([sys.executable, __file__, "sqlite"])
    if postgres_reachable():
        print("== PostgreSQL")
        try:
            status = subprocess.call([sys.executable, __file__, "postgresql"]) or status
        finally:
            drop_postgres_db()
    return status


if __name__ == "__main__":
    sys.exit(main())
