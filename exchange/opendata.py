"""The département's open data: a Frictionless data package of Rebond's figures.

``/api/v1/open-data/datapackage.json`` describes the package; its resources are CSV files
beside it (relative paths, so the package opens where it is served or once downloaded):

- ``impact-monthly.csv``: per month, commune of the giver's site (frozen in each impact
  record), category and kind (donation or loan), the units, claims, kg, kg CO2e, EUR and
  the people the receivers said they helped;
- ``categories.csv``: the category tree with the factors used today and their basis.

No personal data: no person, no organisation — communes and categories only. Licence
Ouverte 2.0 (etalab-2.0). Each resource carries its own Table Schema; the CSV files use the
standard dialect (``,``, decimal points, UTF-8 without BOM).
"""

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.models import Category

from . import exports, reports
from .models import ImpactRecord

LICENCE = {
    "name": "etalab-2.0",
    "title": "Licence Ouverte / Open Licence version 2.0",
    "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
}
ATTRIBUTION_SOURCE = {"title": "Rebond, Département du Val-de-Marne"}


def _field(name: str, type_: str, description: str, **extra) -> dict:
    return {"name": name, "type": type_, "description": description, **extra}


def _impact_schema() -> dict:
    return {
        "fields": [
            _field("month", "yearmonth", _("Month of the delivery (donations) or the return (loans)."),
                   constraints={"required": True}),
            _field("commune_insee", "string", _("INSEE code of the commune of the giver's site."),
                   constraints={"required": True, "pattern": "^94[0-9]{3}$"}),
            _field("commune", "string", _("Name of that commune."), constraints={"required": True}),
            _field("category_key", "string", _("Category (stable key, see categories.csv)."),
                   constraints={"required": True}),
            _field("category", "string", _("Name of the category (French)."), constraints={"required": True}),
            _field("kind", "string", _("donation: given for good; loan: a pooled use, counted when returned."),
                   constraints={"required": True, "enum": list(ImpactRecord.Kind.values)}),
            _field("items", "integer", _("Units."), constraints={"required": True, "minimum": 0}),
            _field("reservations", "integer", _("Claims counted."), constraints={"required": True, "minimum": 0}),
            _field("kg", "number", _("Kilograms diverted from waste (loans: 0)."),
                   constraints={"required": True, "minimum": 0}),
            _field("co2e_kg", "number", _("Kilograms of CO2e avoided (estimates, see the methodology)."),
                   constraints={"required": True, "minimum": 0}),
            _field("value_eur", "number", _("Replacement value in euros (purchases avoided)."),
                   constraints={"required": True, "minimum": 0}),
            _field("people_helped", "integer", _("People the receivers said they helped (those who answered)."),
                   constraints={"required": True, "minimum": 0}),
        ],
        "primaryKey": ["month", "commune_insee", "category_key", "kind"],
        "missingValues": [""],
    }


def _categories_schema() -> dict:
    basis = {"enum": list(Category.Basis.values)}
    return {
        "fields": [
            _field("key", "string", _("Stable key of the category."), constraints={"required": True, "unique": True}),
            _field("parent_key", "string", _("Key of the parent group (empty for a group).")),
            _field("name_fr", "string", _("Name (French)."), constraints={"required": True}),
            _field("name_en", "string", _("Name (English)."), constraints={"required": True}),
            _field("unit_weight_kg", "number", _("Typical weight of one unit (kg).")),
            _field("weight_basis", "string", _("sourced, derived or estimate."), constraints=basis),
            _field("unit_co2e_kg", "number", _("kg CO2e avoided per unit reused.")),
            _field("co2e_basis", "string", _("sourced, derived or estimate."), constraints=basis),
            _field("unit_value_eur", "number", _("Replacement value of one unit (EUR).")),
            _field("value_basis", "string", _("sourced, derived or estimate."), constraints=basis),
            _field("source", "string", _("Where the factors come from.")),
        ],
        "primaryKey": ["key"],
        "missingValues": [""],
    }


IMPACT_COLUMNS = ("month", "commune_insee", "commune", "category_key", "category", "kind", "items", "reservations",
                  "kg", "co2e_kg", "value_eur", "people_helped")
CATEGORY_COLUMNS = ("key", "parent_key", "name_fr", "name_en", "unit_weight_kg", "weight_basis", "unit_co2e_kg",
                    "co2e_basis", "unit_value_eur", "value_basis", "source")


def impact_rows():
    """One row per month, commune, category and kind: the ledger's figures, then the answers'
    (people helped) for the same keys; two queries (the database groups)."""
    keys = ("month", "commune_id", "category_id", "kind")
    records = ImpactRecord.objects.order_by().annotate(month=reports.PeriodStart("date", period="month"))
    people = {
        tuple(row[name] for name in keys): row["n"]
        for row in records.filter(feedback__isnull=False).values(*keys).annotate(n=reports.PEOPLE_HELPED)
    }
    rows = (
        records.values(*keys, "commune__name", "category__key", "category__name_fr")
        .annotate(**reports.FIGURES)
        .order_by("month", "commune_id", "category__key", "kind")
    )
    for row in rows:
        row = reports._exact(row)
        yield [
            reports._key("month", row["month"]), row["commune_id"], row["commune__name"], row["category__key"],
            row["category__name_fr"], row["kind"], row["items"], row["reservations"], row["kg"], row["co2e_kg"],
            row["value_eur"], people.get(tuple(row[name] for name in keys), 0),
        ]


def category_rows():
    categories = Category.objects.annotate(parent_key=F("parent__key")).order_by("parent__key", "key")
    for category in categories:
        yield [
            category.key, category.parent_key or "", category.name_fr, category.name_en, category.unit_weight_kg,
            category.weight_basis, category.unit_co2e_kg, category.co2e_basis, category.unit_value_eur,
            category.value_basis, category.source,
        ]


RESOURCES = {
    "impact-monthly.csv": (IMPACT_COLUMNS, impact_rows),
    "categories.csv": (CATEGORY_COLUMNS, category_rows),
}


def resource_csv(name: str) -> str:
    """The CSV text of one resource (standard dialect).

    Raises:
        KeyError: no such resource.
    """
    columns, rows = RESOURCES[name]
    return exports.csv_text(rows(), columns, dialect=exports.STANDARD)


def descriptor() -> dict:
    """The ``datapackage.json`` (Data Package v1, read by frictionless)."""
    csv_dialect = {"delimiter": ",", "header": True}
    return {
        "profile": "tabular-data-package",
        "name": "rebond-val-de-marne",
        "title": _("Reuse in the Val-de-Marne: Rebond's figures"),
        "description": _(
            "Equipment given or lent between the public facilities and associations of the Val-de-Marne through "
            "Rebond: monthly figures by commune of the giver's site and by category. No personal data. kg CO2e and "
            "euros are estimates computed with the factors of each category on the day (see categories.csv and "
            "the methodology page)."),
        "licenses": [LICENCE],
        "sources": [ATTRIBUTION_SOURCE],
        "created": timezone.now().replace(microsecond=0).isoformat(),
        "keywords": ["réemploi", "économie circulaire", "Val-de-Marne"],
        "resources": [
            {
                "profile": "tabular-data-resource", "name": "impact-monthly", "path": "impact-monthly.csv",
                "title": _("Impact by month, commune and category"), "format": "csv", "mediatype": "text/csv",
                "encoding": "utf-8", "dialect": csv_dialect, "licenses": [LICENCE], "schema": _impact_schema(),
            },
            {
                "profile": "tabular-data-resource", "name": "categories", "path": "categories.csv",
                "title": _("Categories and their factors"), "format": "csv", "mediatype": "text/csv",
                "encoding": "utf-8", "dialect": csv_dialect, "licenses": [LICENCE], "schema": _categories_schema(),
            },
        ],
    }
