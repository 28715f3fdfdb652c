"""Every CSV and XLSX file Rebond writes, and the one rule they keep: safe to open.

The département opens these files in a spreadsheet, and a spreadsheet runs a cell whose text
starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return before one) as a
formula: an item titled ``=HYPERLINK(…)`` would become a link that leaks or fetches. Such
text is written with a leading apostrophe (API.md, "Exports are safe to open"). Only text is
neutralised: numbers and dates stay numbers and dates, a negative amount included.

CSV: by default UTF-8 with a BOM and ``;`` separators, decimal commas, as spreadsheet
software set up for French expects (``SPREADSHEET_FR``). Files read by programs — the AGEC
declaration, the open data — use ``STANDARD``: ``,`` separators, decimal points, no BOM, as
RFC 4180 and the Table Schema's default dialect (what ``frictionless validate`` reads) expect.
Both neutralise formula text. Rows are iterables of plain values (str, int, Decimal, date, None).
"""

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROWS_PER_CHUNK = 500


@dataclass(frozen=True)
class CsvDialect:
    delimiter: str
    bom: bool
    decimal_comma: bool


SPREADSHEET_FR = CsvDialect(delimiter=";", bom=True, decimal_comma=True)
STANDARD = CsvDialect(delimiter=",", bom=False, decimal_comma=False)


#
# Cells and files
#
def safe_cell(value):
    """``value`` as a spreadsheet may store it: text that would run as a formula gets a
    leading apostrophe; anything that is not text is returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_cell(value, *, decimal_comma: bool = True) -> str:
    """The text of one CSV cell: dates in ISO form, decimals with a comma (or a point), text
    made safe."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value).replace(".", ",") if decimal_comma else str(value)
    if isinstance(value, str):
        return safe_cell(value)
    return str(value)


def csv_chunks(
    rows: Iterable[Iterable], header: Iterable[str], *, language: str | None, dialect: CsvDialect = SPREADSHEET_FR,
) -> Iterator[str]:
    """The CSV text in chunks of rows (the BOM first, if the dialect has one).

    The body of a streamed response is produced after the view has returned: the language
    of the request is set again around each chunk, for the labels the rows translate lazily.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=dialect.delimiter, lineterminator="\r\n")

    def cells(values) -> list[str]:
        return [csv_cell(value, decimal_comma=dialect.decimal_comma) for value in values]

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(cells(header))
    yield ("\ufeff" if dialect.bom else "") + flush()
    rows = iter(rows)
    while True:
        with translation.override(language):
            for _n, row in zip(range(ROWS_PER_CHUNK), rows, strict=False):
                writer.writerow(cells(row))
        chunk = flush()
        if not chunk:
            return
        yield chunk


def csv_text(rows: Iterable[Iterable], header: Iterable[str], *, dialect: CsvDialect = SPREADSHEET_FR) -> str:
    """The whole CSV file as text (small files: the open-data package's resources)."""
    return "".join(csv_chunks(rows, list(header), language=translation.get_language(), dialect=dialect))


def csv_response(
    rows: Iterable[Iterable], header: Iterable[str], filename: str, *, dialect: CsvDialect = SPREADSHEET_FR,
) -> StreamingHttpResponse:
    """A streamed CSV download; ``rows`` may be a lazy iterator over a large query."""
    chunks = csv_chunks(rows, list(header), language=translation.get_language(), dialect=dialect)
    response = StreamingHttpResponse(
        (chunk.encode("utf-8") for chunk in chunks), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_bytes(rows: Iterable[Iterable], header: Iterable[str], *, sheet: str) -> bytes:
    """A workbook of one sheet, written row by row (openpyxl's write-only mode)."""
    from openpyxl import Workbook  # a large import, needed by exports only

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    worksheet.append([safe_cell(name) for name in header])
    for row in rows:
        worksheet.append([safe_cell(value) for value in row])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def xlsx_response(rows: Iterable[Iterable], header: Iterable[str], filename: str, *, sheet: str) -> HttpResponse:
    response = HttpResponse(xlsx_bytes(rows, header, sheet=sheet), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


#
# Impact records (the département's export)
#
def impact_header() -> list[str]:
    return [
        _("Date"), _("Kind"), _("Reservation"), _("Giver"), _("Receiver"), _("Commune"), _("Category"),
        _("Beneficiary public"), _("Quantity"), _("Weight (kg)"), _("Avoided emissions (kg CO2e)"),
        _("Value (EUR)"), _("Loan days"), _("People helped"),
        _("Weight basis"),  # added last: scripts that read the earlier columns by position keep working
    ]


def impact_row(record) -> list:
    return [
        record.date, record.get_kind_display(), record.reservation_id, record.giver.name, record.receiver.name,
        record.commune.name, record.category.name, record.get_beneficiary_display(), record.quantity,
        record.kg, record.co2e_kg, record.value_eur, record.loan_days, _people_helped(record),
        record.get_kg_basis_display(),
    ]


def _people_helped(record) -> int | None:
    """What the receiver said (None while it has not answered)."""
    feedback = getattr(record.reservation, "feedback", None)
    return feedback.people_helped if feedback is not None else None


def impact_export(records, *, file_format: str) -> HttpResponse:
    """One row per impact record of ``records`` (a queryset), as ``csv`` or ``xlsx``."""
    records = records.select_related("giver", "receiver", "commune", "category", "reservation__feedback").order_by(
        "date", "pk")
    rows = (impact_row(record) for record in records.iterator(chunk_size=ROWS_PER_CHUNK))
    stem = f"rebond-impact-{timezone.localdate().isoformat()}"
    if file_format == "xlsx":
        return xlsx_response(rows, impact_header(), f"{stem}.xlsx", sheet=_("Impact"))
    return csv_response(rows, impact_header(), f"{stem}.csv")


#
# Inventory exits (a giver's accountant)
#
EXIT_COLUMNS = (
    "number", "version", "issued", "kind", "inventory_number", "item", "category", "quantity",
    "acquisition_date", "acquisition_value_eur", "unit_value_eur", "receiver", "legal_basis",
)
CENTS = Decimal("0.01")


def _amount(value) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(CENTS)


def inventory_exit_row(record) -> list:
    reservation = record.reservation
    item = reservation.item
    return [
        record.number, record.version, timezone.localtime(record.issued_at).strftime("%Y-%m-%d %H:%M"),
        record.kind, item.inventory_number, item.title, item.category.name_fr, reservation.quantity,
        item.acquisition_date, _amount(item.acquisition_value_eur), _amount(item.effective_unit_value_eur),
        reservation.requester.name, record.legal_basis,
    ]


def inventory_exits_export(records, *, filename: str) -> StreamingHttpResponse:
    """The transfer records ``records`` (``transfers.inventory_exits``), one row each, as CSV."""
    return csv_response((inventory_exit_row(record) for record in records), EXIT_COLUMNS, filename)


#
# The AGEC article 58 declaration (exchange.agec)
#
def agec_export(declaration, *, siret: str | None = None) -> StreamingHttpResponse:
    """The declaration's rows as the official file: the schema's columns, ``,`` separators,
    decimal points, UTF-8 without BOM (what data.gouv.fr's validator and ``frictionless``
    read), comments in French."""
    from . import agec

    return csv_response(
        agec.french_comment_rows(declaration.rows), agec.columns(), agec.filename(declaration.year, siret),
        dialect=STANDARD,
    )
