"""The fast read path of ``GET /api/v1/items/``: list rows built from ``values()``.

``ItemSerializer`` (nested photos and booking rules) costs about 1 ms an item, most of the
list's time. The list reads the same columns with ``values()``, the photos of the whole page
with one more ``values()`` query, and writes each row as the serializer does: the same keys
in the same order, each value formatted by the serializer's own field (decimals, dates and
times through DRF's fields, photo files as absolute URLs). DRF keeps the writes, the detail
and the OpenAPI schema; ``tests/api/test_item_rows.py`` holds the two outputs equal.
"""

from collections import defaultdict

from django.core.files.storage import default_storage
from rest_framework import serializers

from api.pooling.serializers import BookingRulesSerializer
from inventory.models import Item, Photo
from pooling.models import BookingRules

from .serializers import ItemSerializer, PhotoSerializer

# Columns read for the rows beyond the serializer's own fields.
_QUANTITIES = ("quantity", "quantity_reserved", "quantity_transferred")
_PHOTO_FIELDS = PhotoSerializer.Meta.fields
_FORMATTED = (serializers.DecimalField, serializers.DateField, serializers.DateTimeField)


def _formatters() -> tuple[list[str], dict]:
    """The serializer's field names in order, and the DRF field that formats each value that
    is not written as it is read (decimals, dates, times)."""
    fields = ItemSerializer().fields
    return list(fields), {name: f for name, f in fields.items() if isinstance(f, _FORMATTED)}


ITEM_FIELDS, _ITEM_FORMAT = _formatters()
# Foreign keys appear as their ids ("owner": 3); the rest are columns of the item.
_COLUMNS = {"owner": "owner_id", "category": "category_id"}
VALUE_COLUMNS = tuple(
    dict.fromkeys(
        [_COLUMNS.get(n, n) for n in ITEM_FIELDS if n not in ("photos", "booking_rules", "quantity_available")]
        + ["mode", *_QUANTITIES]
    )
)


def item_values(queryset):
    """The list's queryset as the dictionaries ``item_rows`` needs (no prefetches)."""
    return queryset.values(*VALUE_COLUMNS)


def item_rows(values: list[dict], *, request) -> list[dict]:
    """``ItemSerializer(items, many=True).data`` for rows of ``item_values``, in two queries
    at most (photos; booking rules only when the page has shared items)."""
    ids = [v["id"] for v in values]
    photos = _photos_by_item(ids, request)
    rules = _booking_rules([v["id"] for v in values if v["mode"] == Item.Mode.SHARED])
    rows = []
    for v in values:
        row = {}
        for name in ITEM_FIELDS:
            if name == "photos":
                value = photos.get(v["id"], [])
            elif name == "booking_rules":
                value = rules.get(v["id"]) or _default_rules() if v["mode"] == Item.Mode.SHARED else None
            elif name == "quantity_available":
                value = v["quantity"] - v["quantity_reserved"] - v["quantity_transferred"]
            else:
                value = v[_COLUMNS.get(name, name)]
                formatter = _ITEM_FORMAT.get(name)
                if formatter is not None and value is not None:
                    value = formatter.to_representation(value)
            row[name] = value
        rows.append(row)
    return rows


def _photos_by_item(ids: list[int], request) -> dict[int, list[dict]]:
    by_item = defaultdict(list)
    if not ids:
        return by_item
    urls = {}

    def url(name: str):
        # As DRF's FileField: the storage's URL, made absolute by the request.
        if not name:
            return None
        if name not in urls:
            urls[name] = request.build_absolute_uri(default_storage.url(name))
        return urls[name]

    for p in Photo.objects.filter(item_id__in=ids).order_by("order", "pk").values("item_id", *_PHOTO_FIELDS):
        by_item[p["item_id"]].append({name: (url(p[name]) if name in ("image", "thumbnail") else p[name])
                                      for name in _PHOTO_FIELDS})
    return by_item


def _default_rules() -> dict:
    """The rules of a shared item without saved ones, as ``BookingRules.of`` gives them."""
    return BookingRulesSerializer(BookingRules()).data


def _booking_rules(shared_ids: list[int]) -> dict[int, dict]:
    if not shared_ids:
        return {}
    saved = BookingRules.objects.filter(item_id__in=shared_ids).prefetch_related("organisations")
    return {rules.item_id: BookingRulesSerializer(rules).data for rules in saved}
