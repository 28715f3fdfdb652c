"""The yearly AGEC article 58 declaration of the receiving public bodies.

Loi 2020-105 art. 58 and décret 2024-134: the State, local authorities and their groupings
declare each year (arrêté of 13 January 2025, on data.gouv.fr by 30 June of the next year)
what share of their purchases of 17 product types came from reuse, re-use or recycled
material — goods received as donations included, valued with the flat-rate grid of the
arrêté of 29 February 2024. Rebond knows the donations a public body received through it;
this module turns them into the rows of that file (``data/agec/schema.json``, the official
Table Schema), and ``exports.agec_export`` writes them.

- One row per year, receiving public body (legal status public body or public establishment,
  identified by its SIRET) and product type (``Category.agec_product_type``, a column the
  département's managers edit; categories without one are not declared types and are left
  out). Only donations count: a loan is not an acquisition.
- ``montant_produits_issus_don``: units × the département's grid value of the product type
  (``AgecFlatRate``); while the grid has no value for it, the records' own replacement
  values (frozen when each record was written) — an estimate, said so in ``commentaires``.
- ``montant_total``, ``montant_reemploi_et_reutilisation``, ``montant_produits_recycles``: the
  body's purchases, which Rebond cannot know: 0, and ``commentaires`` says so.
- The product type is the category's today (a corrected mapping corrects past years too);
  the grid value is today's.
"""

import datetime
import json
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import translation
from django.utils.translation import gettext as _

from inventory.models import Organisation

from .models import AgecFlatRate, ImpactRecord
from .permissions import PUBLIC_LEGAL_STATUSES

SCHEMA_PATH = Path(settings.DATA_DIR) / "agec" / "schema.json"
CENTS = Decimal("0.01")
ZERO = Decimal("0.00")


@lru_cache(maxsize=1)
def schema() -> dict:
    """The official Table Schema (shipped in data/agec/, Licence Ouverte 2.0)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def columns() -> list[str]:
    return [column["name"] for column in schema()["fields"]]


@dataclass
class Row:
    """One line of the declaration, with what the page shows beside it."""

    year: int
    organisation_id: int
    siret: str
    name: str
    product_type: str
    units: int
    reservations: int
    donations_eur: Decimal
    unit_value_eur: Decimal | None  # the grid's; None: the replacement values were used
    grid_source: str = ""

    @property
    def estimated(self) -> bool:
        return self.unit_value_eur is None

    def comment(self) -> str:
        """``commentaires``: how the donations were valued, and the amounts Rebond cannot know."""
        if self.estimated:
            valued = _("valued at Rebond's replacement values (estimate: the département's flat-rate grid has "
                       "no value for this product type yet)")
        else:
            valued = _("valued with the département's flat-rate grid: %(value)s EUR a unit (%(source)s)") % {
                "value": self.unit_value_eur, "source": self.grid_source}
        return _("Donations received through Rebond: %(units)s unit(s) in %(n)s delivery(ies), %(valued)s. "
                 "Rebond does not know this body's purchases: montant_total, montant_reemploi_et_reutilisation "
                 "and montant_produits_recycles are 0, to be completed by the body.") % {
            "units": self.units, "n": self.reservations, "valued": valued}

    def cells(self) -> list:
        """The values of the schema's columns, in its order."""
        return [self.year, self.siret, self.name, self.product_type, ZERO, ZERO, self.donations_eur, ZERO,
                self.comment()]


@dataclass
class Declaration:
    """A year's declaration as one reader may download it, and what the page says about it."""

    year: int
    rows: list[Row]
    grid_complete: bool  # every declared product type had a grid value
    grid_empty: bool
    without_siret: list[dict] = field(default_factory=list)  # public receivers that cannot be declared
    without_rows: list[Organisation] = field(default_factory=list)  # public bodies that received nothing
    left_out: list[dict] = field(default_factory=list)  # donations of categories that are no AGEC type

    @property
    def estimated(self) -> bool:
        return any(row.estimated for row in self.rows)


def _year_records(year: int) -> QuerySet[ImpactRecord]:
    return ImpactRecord.objects.filter(
        kind=ImpactRecord.Kind.DONATION, date__gte=datetime.date(year, 1, 1), date__lte=datetime.date(year, 12, 31),
        receiver__legal_status__in=PUBLIC_LEGAL_STATUSES,
    ).order_by()


def declaration(*, year: int, declarants: QuerySet[Organisation] | None, siret: str | None = None) -> Declaration:
    """The rows of ``year`` for ``declarants`` (``permissions.agec_declarants``: None for
    every public body), optionally one SIRET. Four queries, whatever the number of records."""
    records = _year_records(year)
    if declarants is not None:
        records = records.filter(receiver__in=declarants)
    if siret:
        records = records.filter(receiver__siret=siret)
    grid = {rate.product_type: rate for rate in AgecFlatRate.objects.all()}
    declared = (
        records.exclude(receiver__siret="").exclude(category__agec_product_type="")
        .values("receiver_id", "receiver__siret", "receiver__name", "category__agec_product_type")
        .annotate(units=Sum("quantity"), reservations=Count("pk"), replacement=Sum("value_eur"))
        .order_by("receiver__siret", "category__agec_product_type")
    )
    rows = []
    for line in declared:
        product_type = line["category__agec_product_type"]
        rate = grid.get(product_type)
        if rate is not None:
            amount = (rate.unit_value_eur * line["units"]).quantize(CENTS)
        else:
            amount = Decimal(line["replacement"] or 0).quantize(CENTS)
        rows.append(Row(
            year=year, organisation_id=line["receiver_id"], siret=line["receiver__siret"],
            name=line["receiver__name"], product_type=product_type, units=line["units"],
            reservations=line["reservations"], donations_eur=amount,
            unit_value_eur=rate.unit_value_eur if rate else None, grid_source=rate.source if rate else "",
        ))
    result = Declaration(year=year, rows=rows, grid_complete=all(not row.estimated for row in rows),
                         grid_empty=not grid)
    if declarants is None and not siret:
        result.without_siret = list(
            records.filter(receiver__siret="").exclude(category__agec_product_type="")
            .values("receiver_id", "receiver__name").annotate(units=Sum("quantity")).order_by("receiver__name")
        )
        declaring = {row.organisation_id for row in rows} | {line["receiver_id"] for line in result.without_siret}
        result.without_rows = list(
            Organisation.objects.filter(legal_status__in=PUBLIC_LEGAL_STATUSES)
            .exclude(pk__in=declaring).order_by("name")
        )
    result.left_out = list(
        records.filter(Q(category__agec_product_type=""))
        .values("category_id", "category__name_fr", "category__name_en")
        .annotate(units=Sum("quantity")).order_by("category__name_fr")
    )
    return result


def filename(year: int, siret: str | None) -> str:
    return f"agec-art58-{year}{'-' + siret if siret else ''}.csv"


def french_comment_rows(rows: list[Row]) -> list[list]:
    """The file's cells, its comments in French whatever the reader's language (the file
    goes to data.gouv.fr); amounts with a decimal point."""
    with translation.override("fr"):
        return [row.cells() for row in rows]
