"""The fast read path of ``GET /api/v1/items/``: list rows built from ``values()``.

``ItemSerializer`` (nested photos and booking rules) costs about 1 ms an item, most of the
list's time. The list reads the same columns with ``values()`` and, in the same query, each
item's photos and saved booking rules as JSON sub-selects (PostgreSQL ``json_agg``, SQLite
``json_group_array``): one query for the page, whatever its size. Each row is written as the
serializer does: the same keys in the same order, each value formatted as the serializer's
own field formats it (decimals and dates by DRF's fields, date-times as ``DateTimeField`` writes
them, photo files as absolute URLs), by a plan of one function per field made once a request.
DRF keeps the writes, the detail and the OpenAPI schema; ``tests/api/test_item_rows.py`` holds
the two outputs equal.
"""

import json
from operator import itemgetter

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.db.models import F, Func, TextField
from django.utils.encoding import filepath_to_uri
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

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


def _q(name: str) -> str:
    return f'"{name}"'  # both backends quote identifiers with double quotes


_PHOTO_TABLE = Photo._meta.db_table
_RULES_TABLE = BookingRules._meta.db_table
_RULES_ORGS = BookingRules.organisations.through._meta.db_table
_ORG_TABLE = BookingRules.organisations.field.related_model._meta.db_table
_RULE_FIELDS = ("auto_approve", "max_days", "lead_days", "audience")


class _PhotosJSON(Func):
    """The item's photos (``PhotoSerializer`` fields, gallery order) as a JSON array, as text."""

    output_field = TextField()
    arity = 1

    def _template(self, array: str, obj: str, order_in_agg: bool) -> str:
        pairs = ", ".join(f"'{name}', p.{_q(name)}" for name in _PHOTO_FIELDS)
        if order_in_agg:
            return (f"(SELECT COALESCE({array}({obj}({pairs}) ORDER BY p.{_q('order')}, p.id), '[]')::text "
                    f"FROM {_q(_PHOTO_TABLE)} p WHERE p.item_id = %(expressions)s)")
        return (f"(SELECT {array}({obj}({pairs})) FROM (SELECT * FROM {_q(_PHOTO_TABLE)} "
                f"WHERE item_id = %(expressions)s ORDER BY {_q('order')}, id) p)")

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template=self._template("json_agg", "json_build_object", True))

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template=self._template("json_group_array", "json_object", False))


class _RulesJSON(Func):
    """The item's saved booking rules as a JSON object (``organisations``: ids by name), or NULL."""

    output_field = TextField()
    arity = 1

    def _template(self, array: str, obj: str, order_in_agg: bool) -> str:
        pairs = ", ".join(f"'{name}', r.{_q(name)}" for name in _RULE_FIELDS)
        if order_in_agg:
            orgs = (f"COALESCE((SELECT {array}(ro.organisation_id ORDER BY o.name, o.id) FROM {_q(_RULES_ORGS)} ro "
                    f"JOIN {_q(_ORG_TABLE)} o ON o.id = ro.organisation_id WHERE ro.bookingrules_id = r.item_id), "
                    f"'[]')")
        else:
            orgs = (f"(SELECT {array}(organisation_id) FROM (SELECT ro.organisation_id FROM {_q(_RULES_ORGS)} ro "
                    f"JOIN {_q(_ORG_TABLE)} o ON o.id = ro.organisation_id WHERE ro.bookingrules_id = r.item_id "
                    f"ORDER BY o.name, o.id))")
        cast = "::text" if order_in_agg else ""
        return (f"(SELECT {obj}({pairs}, 'organisations', {orgs}){cast} FROM {_q(_RULES_TABLE)} r "
                f"WHERE r.item_id = %(expressions)s)")

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template=self._template("json_agg", "json_build_object", True))

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template=self._template("json_group_array", "json_object", False))


def item_values(queryset):
    """The list's queryset as the dictionaries ``item_rows`` needs: the columns, and the photos
    and saved booking rules as JSON text (no prefetches, one query)."""
    return queryset.annotate(_photos=_PhotosJSON(F("id")), _rules=_RulesJSON(F("id"))).values(
        *VALUE_COLUMNS, "_photos", "_rules")


def item_rows(values: list[dict], *, request) -> list[dict]:
    """``ItemSerializer(items, many=True).data`` for rows of ``item_values``, with no query."""
    plan = _plan(request)
    return [{name: value(v) for name, value in plan} for v in values]


def _plan(request) -> list[tuple]:
    """For one request, each field of the row in the serializer's order, with the function that
    makes its value from a row of ``item_values``: a column as it is read (``itemgetter``), a
    column formatted by the serializer's field, or the photos, booking rules and quantity."""
    url = _url_maker(request)
    defaults = []
    shared = Item.Mode.SHARED

    def photos(v):
        return [{name: (url(p[name]) if name in ("image", "thumbnail") else p[name]) for name in _PHOTO_FIELDS}
                for p in json.loads(v["_photos"] or "[]")]

    def booking_rules(v):
        if v["mode"] != shared:
            return None
        if v["_rules"]:
            return _saved_rules(v["_rules"])
        if not defaults:
            defaults.append(_default_rules())
        return defaults[0] | {"organisations": []}

    def quantity_available(v):
        return v["quantity"] - v["quantity_reserved"] - v["quantity_transferred"]

    def formatted(column, format_):
        def value(v):
            raw = v[column]
            return None if raw is None else format_(raw)
        return value

    special = {"photos": photos, "booking_rules": booking_rules, "quantity_available": quantity_available}
    formats = _request_formats()
    plan = []
    for name in ITEM_FIELDS:
        column = _COLUMNS.get(name, name)
        if name in special:
            plan.append((name, special[name]))
        elif name in formats:
            plan.append((name, formatted(column, formats[name])))
        else:
            plan.append((name, itemgetter(column)))
    return plan


def _request_formats() -> dict:
    """The serializer's formatting of decimals, dates and times, for one request. Date-times
    are written as DRF writes them (``DateTimeField``: ISO 8601 in the timezone active now, "Z"
    for UTC), with the timezone looked up once rather than for each value; any other set-up
    (another output format, a naive value) goes through the field itself."""
    formats = {name: field.to_representation for name, field in _ITEM_FORMAT.items()}
    for name, field in _ITEM_FORMAT.items():
        if not isinstance(field, serializers.DateTimeField) or not settings.USE_TZ:
            continue
        tz = field.timezone if hasattr(field, "timezone") else field.default_timezone()
        if tz is not None and str(getattr(field, "format", api_settings.DATETIME_FORMAT)).lower() == ISO_8601:
            formats[name] = _iso_datetime(field, tz)
    return formats


def _iso_datetime(field, tz):
    def iso(value):
        if value.tzinfo is None:
            return field.to_representation(value)
        text = value.astimezone(tz).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    return iso


def _url_maker(request):
    """As DRF's FileField: the storage's URL, made absolute by the request. For files on the
    local storage under a path ``MEDIA_URL`` (``/media/``), that is one absolute prefix plus the
    quoted name, as ``FileSystemStorage.url`` and ``build_absolute_uri`` join them; any other
    storage, or an unusual name, asks the storage."""
    urls = {}
    prefix = None
    base = getattr(default_storage, "base_url", None)
    if isinstance(default_storage, FileSystemStorage) and base and base.startswith("/") and base.endswith("/") \
            and not base.startswith("//"):
        prefix = request.build_absolute_uri(base)

    def url(name: str):
        if not name:
            return None
        if prefix is not None and not name.startswith("/") and ".." not in name and ":" not in name:
            return prefix + filepath_to_uri(name)
        if name not in urls:
            urls[name] = request.build_absolute_uri(default_storage.url(name))
        return urls[name]

    return url


def _saved_rules(text: str) -> dict:
    rules = json.loads(text)
    rules["auto_approve"] = bool(rules["auto_approve"])  # SQLite's JSON writes booleans as 0 and 1
    return rules


def _default_rules() -> dict:
    """The rules of a shared item without saved ones, as ``BookingRules.of`` gives them."""
    return BookingRulesSerializer(BookingRules()).data
