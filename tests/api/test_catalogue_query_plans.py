"""The catalogue's queries at 100,000 items use indexes: no sequential scan of items or photos.

PostgreSQL only (the planner is the point). The rows are written by two INSERT … SELECT over
generate_series, then ANALYZE, as ``load_demo --items`` does; every SQL query that the API list
and the catalogue page run for each filter and ordering is then EXPLAINed.
"""

import importlib
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import Category, Commune, Item
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="query plans are PostgreSQL's: run with DATABASE_URL=postgres://… (CI's PostgreSQL leg does)",
)

ROWS = 100_000
SEARCH_INDEX = importlib.import_module("inventory.migrations.0009_catalogue_indexes").SEARCH_INDEX


@pytest.fixture
def hundred_thousand_items(db):
    # One giver per commune of the département (47), as in the demo.
    givers = [OrganisationFactory(name=f"Donneur {c.insee}", commune=c) for c in Commune.objects.order_by("insee")]
    categories = list(Category.objects.filter(parent__isnull=False).values_list("pk", flat=True))
    with connection.cursor() as cursor:
        # The full-text index is built after the rows (a few times faster than row by row);
        # the test's transaction rolls both back.
        cursor.execute("DROP INDEX item_search_french")
        cursor.execute(
            """
            INSERT INTO inventory_item (owner_id, category_id, title, description, condition, mode, quantity,
                quantity_reserved, quantity_transferred, has_lift, opening_hours, pickup_notes, inventory_number,
                available_until, status, created_at, updated_at, published_at)
            SELECT (%(givers)s::bigint[])[1 + g %% %(n_givers)s], (%(categories)s::bigint[])[1 + g %% %(n_cat)s],
                   'Article ' || g, 'Lot numéro ' || g || ' en bon état', (ARRAY['as_new', 'good', 'fair',
                   'for_parts'])[1 + g %% 4], CASE WHEN g %% 50 = 0 THEN 'shared' ELSE 'give' END, 1, 0, 0,
                   false, '', '', '', CASE WHEN g %% 3 = 0 THEN NULL ELSE DATE '2027-01-01' + g %% 365 END,
                   (ARRAY['available', 'available', 'available', 'draft', 'withdrawn'])[1 + g %% 5],
                   now() - make_interval(mins => g), now(), now()
            FROM generate_series(1, %(rows)s) g
            """,
            {"givers": [g.pk for g in givers], "n_givers": len(givers), "categories": categories,
             "n_cat": len(categories), "rows": ROWS},
        )
        cursor.execute(
            """INSERT INTO inventory_photo (item_id, image, thumbnail, width, height, "order", alt_text, created_at)
               SELECT id, 'photos/aa/a.jpg', 'photos/aa/a_t.webp', 800, 600, 0, '', created_at FROM inventory_item"""
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # check the foreign keys now, then index
        cursor.execute(SEARCH_INDEX)
        cursor.execute("ANALYZE inventory_item, inventory_photo, inventory_organisation")
    return givers, categories


def _plans(run) -> list[str]:
    """The EXPLAIN of every query ``run()`` sends that reads items or photos."""
    with CaptureQueriesContext(connection) as queries:
        run()
    statements = [q["sql"] for q in queries if re.search(r"inventory_(item|photo)\b", q["sql"])]
    plans = []
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute("EXPLAIN " + sql)
            plans.append(sql + "\n" + "\n".join(row[0] for row in cursor.fetchall()))
    return plans


def _assert_no_sequential_scan(plans: list[str]) -> None:
    assert plans
    for plan in plans:
        assert not re.search(r"Seq Scan on inventory_(item|photo)\b", plan), plan


def test_the_api_list_and_the_catalogue_page_read_items_and_photos_by_index(api, client, volunteer,
                                                                            hundred_thousand_items):
    # One test, one load of 100,000 rows (a few seconds): the API's list, then the page.
    givers, categories = hundred_thousand_items
    api_client = api(volunteer)
    base = "/api/v1/items/?status=available&page_size=50"
    urls = [
        base, base + "&page=40", f"{base}&category={categories[3]}", f"{base}&owner={givers[2].pk}",
        f"{base}&commune={givers[1].commune_id}", f"{base}&condition=fair", base + "&ordering=available_until",
        base + "&ordering=-available_until", base + "&available_after=2027-06-01", base + "&search=article",
        base + "&ordering=created_at", "/api/v1/items/?page_size=50",
    ]
    first = api_client.get(base + "&cursor=").json()
    urls += [base + "&cursor=", first["next"]]

    for url in urls:
        plans = _plans(lambda url=url: api_client.get(url))
        _assert_no_sequential_scan(plans)
    # A selective search reads the full-text index (a word every item has walks the date index).
    assert any("item_search_french" in plan for plan in _plans(lambda: api_client.get(base + "&search=12345")))

    client.force_login(volunteer)
    for query in ("", "?page=30", f"?category={categories[5]}", f"?commune={givers[3].commune_id}",
                  "?condition=as_new", "?mode=shared"):
        _assert_no_sequential_scan(_plans(lambda query=query: client.get("/catalogue/" + query)))
    # (The page's word search, icontains, is not covered: LIKE '%word%' reads every row without
    # a trigram index, left out for what it costs every write.)
    assert Item.objects.count() == ROWS
