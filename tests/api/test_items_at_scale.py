"""Lists at scale: a bounded count, page numbers past it, keyset cursors (API.md v1.1)."""

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.models import Item, Photo
from tests.factories import ItemFactory

START = timezone.now()


def _available(n: int, *, step=timedelta(minutes=1)) -> list[Item]:
    """``n`` available items with a photo each, newest first, created ``step`` apart."""
    items = [ItemFactory(status=Item.Status.AVAILABLE, created_at=START - i * step) for i in range(n)]
    Photo.objects.bulk_create(
        Photo(item=item, image="photos/aa/a.jpg", thumbnail="photos/aa/a_t.webp", width=4, height=4)
        for item in items
    )
    return items


def _cursor(link: str) -> str:
    return parse_qs(urlparse(link).query)["cursor"][0]


@pytest.fixture
def small_limit(settings):
    settings.REBOND_EXACT_COUNT_LIMIT = 5


#
# The bounded count
#
def test_count_is_exact_up_to_the_limit(api, volunteer, small_limit):
    _available(5)

    data = api(volunteer).get("/api/v1/items/?status=available&page_size=2").json()

    assert data["count"] == 5 and data["next"] is not None


def test_beyond_the_limit_the_count_stops_and_pages_still_work(api, volunteer, small_limit):
    items = _available(9)
    client = api(volunteer)

    with CaptureQueriesContext(connection) as queries:
        first = client.get("/api/v1/items/?status=available&page_size=4").json()
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]  # read before the next request
    last = client.get("/api/v1/items/?status=available&page_size=4&page=3").json()

    assert first["count"] == 6  # the limit plus one: "more than 5"
    assert len(counts) == 1 and "LIMIT 6" in counts[0]
    assert [r["id"] for r in last["results"]] == [items[8].pk]  # page 3 exists past the counted rows
    assert last["next"] is None and "page=2" in last["previous"]
    assert client.get("/api/v1/items/?status=available&page_size=4&page=4").status_code == 404


def test_catalogue_page_says_more_than_the_limit(client, volunteer, small_limit):
    _available(14)  # two pages of 12
    client.force_login(volunteer)

    french = client.get("/catalogue/", headers={"accept-language": "fr"}).content.decode()
    english = client.get("/catalogue/?page=2", headers={"accept-language": "en"}).content.decode()

    assert "Plus de 5 objets trouvés" in french and "objets trouvés" in french
    assert "More than 5 items found" in english and "Page 2" in english and "Page 2 of" not in english
    assert 'rel="next"' not in english and 'rel="next"' in french
    assert client.get("/catalogue/?page=99").status_code == 200  # past the end: the last known page


#
# Keyset pagination
#
def test_cursor_walks_every_item_once_forward_and_back(api, volunteer):
    # Three share a creation time: the id breaks ties, so none is lost or repeated.
    items = _available(4) + _available(3, step=timedelta(0))
    expected = [i.pk for i in sorted(items, key=lambda i: (i.created_at, i.pk), reverse=True)]
    client = api(volunteer)

    seen, pages, url = [], [], "/api/v1/items/?status=available&page_size=2&cursor="
    while url:
        data = client.get(url).json()
        assert "count" not in data
        pages.append(data)
        seen += [r["id"] for r in data["results"]]
        url = data["next"]
    back = client.get(pages[-1]["previous"]).json()

    assert seen == expected and len(pages) == 4
    assert [r["id"] for r in back["results"]] == expected[4:6]
    assert client.get("/api/v1/items/?ordering=created_at&cursor=").json()["results"][0]["id"] == expected[-1]


def test_cursor_page_costs_the_same_queries_however_deep(api, volunteer):
    _available(12)
    client = api(volunteer)
    first = client.get("/api/v1/items/?page_size=3&cursor=").json()
    deep = client.get(client.get(first["next"]).json()["next"]).json()

    with CaptureQueriesContext(connection) as at_start:
        client.get("/api/v1/items/?page_size=3&cursor=")
    with CaptureQueriesContext(connection) as deeper:
        client.get(deep["next"])

    assert len(deeper) == len(at_start)
    assert not any("COUNT(" in q["sql"].upper() for q in deeper)


@pytest.mark.parametrize("cursor", ["nonsense", "eyJvIjowfQ:1tQx:forged", "%00"])
def test_a_damaged_cursor_is_a_400_with_a_message(api, volunteer, cursor):
    _available(1)

    response = api(volunteer).get(f"/api/v1/items/?cursor={cursor}")

    assert response.status_code == 400
    assert "cursor" in response.json() and response.json()["cursor"][0]


def test_a_cursor_from_another_ordering_or_an_unsupported_ordering_is_a_400(api, volunteer):
    _available(3)
    client = api(volunteer)
    newest_first = client.get("/api/v1/items/?page_size=1&cursor=").json()["next"]

    assert client.get(newest_first + "&ordering=created_at").status_code == 400
    response = client.get("/api/v1/items/?cursor=&ordering=available_until")
    assert response.status_code == 400 and "ordering" in response.json()


def test_a_tampered_cursor_is_refused(api, volunteer):
    _available(3)
    client = api(volunteer)
    cursor = _cursor(client.get("/api/v1/items/?page_size=1&cursor=").json()["next"])

    assert client.get(f"/api/v1/items/?cursor={cursor[:-2]}xx").status_code == 400


def test_the_schema_adds_the_cursor_to_the_items_list_only(db, tmp_path):
    import yaml
    from django.core.management import call_command

    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(target))
    schema = yaml.safe_load(target.read_text())

    items = [p["name"] for p in schema["paths"]["/api/v1/items/"]["get"]["parameters"]]
    assert "cursor" in items and {"page", "page_size", "status", "ordering"} <= set(items)
    assert "cursor" not in [p["name"] for p in schema["paths"]["/api/v1/needs/"]["get"]["parameters"]]
    components = schema["components"]["schemas"]
    assert components["PaginatedItemList"]["required"] == ["results"]  # no count under ?cursor=
    assert set(components["PaginatedItemList"]["properties"]) == {"count", "next", "previous", "results"}
    assert components["PaginatedNeedList"]["required"] == ["count", "results"]
