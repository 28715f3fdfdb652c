"""The items list's fast read path writes what ItemSerializer writes, in fewer queries."""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIRequestFactory, force_authenticate

from api.inventory.serializers import ItemSerializer
from api.inventory.views import ItemViewSet
from inventory.models import Item, Photo
from pooling.models import BookingRules
from tests.factories import AvailableItemFactory, ItemFactory, OrganisationFactory, SharedItemFactory


def _photo(item, order, name):
    return Photo.objects.create(item=item, image=f"photos/ab/{name}.jpg", thumbnail=f"photos/ab/{name}_t.webp",
                                width=800, height=600, order=order, alt_text=f"Vue {name}")


def _varied_items(giver):
    """Every kind of value the serializer formats: decimals, dates, times, nulls, photos in
    gallery order, a shared item with saved rules (and named organisations), one without."""
    full = AvailableItemFactory(
        owner=giver, unit_weight_kg=Decimal("12.5"), unit_value_eur=Decimal("80"), width_cm=60, floor=-1,
        has_lift=True, acquisition_date=date(2019, 3, 1), acquisition_value_eur=Decimal("199.99"),
        available_from=date(2026, 1, 5), available_until=date(2027, 6, 30), quantity=4, quantity_reserved=1,
        opening_hours="9h-12h", inventory_number="INV-1",
    )
    _photo(full, 2, "second"), _photo(full, 0, "first"), _photo(full, 2, "third")
    bare = AvailableItemFactory(owner=giver, description="")
    shared = SharedItemFactory(owner=giver)
    rules = BookingRules.objects.create(item=shared, auto_approve=True, max_days=3, lead_days=2, audience="named")
    rules.organisations.set([giver, OrganisationFactory()])
    _photo(shared, 0, "minibus")
    _photo(shared, 1, "vue d’été #1 ?")  # quoted in its URL as the storage quotes it
    SharedItemFactory(owner=giver)  # defaults, no saved rules
    ItemFactory(owner=giver, status=Item.Status.DRAFT)
    return full, bare


@pytest.mark.parametrize("zone", ["Europe/Paris", "UTC"])  # times with an offset, or with "Z"
def test_the_list_rows_equal_the_serializer_output_key_for_key(staff, giver, zone):
    full, _ = _varied_items(giver)
    factory = APIRequestFactory()
    request = factory.get("/api/v1/items/?page_size=50")
    force_authenticate(request, user=staff)

    with timezone.override(zone):
        listed = ItemViewSet.as_view({"get": "list"})(request).render()
        rows = json.loads(listed.content)["results"]

        items = Item.objects.filter(pk__in=[r["id"] for r in rows]).order_by("-created_at")
        items = items.prefetch_related("photos", "booking_rules__organisations")  # as the viewset did
        expected = ItemSerializer(items, many=True, context={"request": factory.get("/api/v1/items/")}).data
    assert all(r["created_at"].endswith("Z") == (zone == "UTC") for r in rows)
    expected = json.loads(json.dumps(expected, cls=_Encoder))
    assert len(rows) == 5
    # Same keys in the same order and the same values, row by row.
    for row, serialized in zip(rows, expected, strict=True):
        assert list(row) == list(serialized)
        assert row == serialized
    (full_row,) = [r for r in rows if r["id"] == full.pk]
    assert [p["alt_text"] for p in full_row["photos"]] == ["Vue first", "Vue second", "Vue third"]
    assert full_row["unit_weight_kg"] == "12.500" and full_row["photos"][0]["image"].startswith("http://testserver/")
    assert sum(r["booking_rules"] is not None for r in rows) == 2


def test_each_list_row_equals_the_items_own_page(api, staff, giver):
    _varied_items(giver)
    client = api(staff)

    rows = client.get("/api/v1/items/").json()["results"]

    for row in rows:  # the detail still goes through ItemSerializer
        assert json.dumps(row) == json.dumps(client.get(f"/api/v1/items/{row['id']}/").json())


def test_the_fast_path_costs_fewer_queries_than_the_prefetching_serializer(api, staff, giver):
    _varied_items(giver)
    client = api(staff)

    with CaptureQueriesContext(connection) as queries:
        client.get("/api/v1/items/?status=available")
    item_queries = [q for q in queries if "inventory_item" in q["sql"] or "inventory_photo" in q["sql"]
                    or "pooling_bookingrules" in q["sql"]]

    # One query whatever the page's size: the page, its bounded count, photos and booking rules
    # (with their organisations) as sub-selects. (Five before: count, page, photos, rules, organisations.)
    assert len(item_queries) == 1, [q["sql"][:80] for q in item_queries]


class _Encoder(json.JSONEncoder):
    def default(self, value):
        return str(value)
