"""The transfer record and the annual report are tagged PDFs (PDF/UA-1) a screen reader can
read: the structure tree read back with pikepdf carries the language, the title, headings,
tables and the alternative text of the signature and of the charts, in the visual order."""

import io
import re

import pikepdf
from pypdf import PdfReader

from exchange.models import TransferRecord
from tests.exchange.test_transfers import _collected, _signature_url, inventoried  # noqa: F401
from tests.frontend.conftest import signed_in
from tests.frontend.test_reporting import records  # noqa: F401


def elements(pdf) -> list:
    """The structure elements in reading order (depth first), as (type, alt text)."""
    found = []

    def walk(node):
        if isinstance(node, pikepdf.Dictionary) and "/S" in node:
            found.append((str(node.S), str(node.get("/Alt", ""))))
            kids = node.get("/K")
            for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
                walk(kid)

    kids = pdf.Root.StructTreeRoot.K
    for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
        walk(kid)
    return found


def accessible(data: bytes) -> tuple[pikepdf.Pdf, str]:
    pdf = pikepdf.open(io.BytesIO(data))
    assert pdf.Root.MarkInfo.Marked is True
    assert pdf.Root.ViewerPreferences.DisplayDocTitle is True  # the title, not the file name, is shown
    with pdf.open_metadata() as meta:
        assert meta.get("pdfuaid:part") == "1"
        title = meta.get("dc:title")
    return pdf, title


def test_the_transfer_record_is_tagged_with_language_title_structure_and_the_signature_alt(
        workflow, inventoried, volunteer):  # noqa: F811
    reservation = _collected(workflow, inventoried, signature=_signature_url())
    record = TransferRecord.objects.get(reservation=reservation)
    with record.pdf.open("rb") as handle:
        data = handle.read()

    pdf, title = accessible(data)
    assert str(pdf.Root.Lang) == "fr"
    assert title == f"Procès-verbal de cession {record.number}"
    tree = elements(pdf)
    # Reading order: the outline of the structure tree is the page's, top to bottom.
    outline = [kind for kind, _alt in tree if kind in {"/H1", "/H2", "/Table", "/Figure"}]
    assert outline == ["/H1", "/H2", "/Table", "/H2", "/H2", "/Table", "/H2", "/H2", "/H2", "/Figure"]
    assert tree.count(("/TH", "")) == 9  # column headers of both tables
    assert [alt for kind, alt in tree if kind == "/Figure"] == [
        f"Signature de {volunteer.get_full_name()}, tracée à la porte"]
    # …and the visual order of the same headings, as the text comes off the page.
    text = re.sub(r"\s+", " ", PdfReader(io.BytesIO(data)).pages[0].extract_text())
    headings = ["Parties", "Fondement juridique", "Objets", "Enlèvement", "Engagement du cessionnaire", "Attestations"]
    positions = [text.index(heading) for heading in headings]
    assert positions == sorted(positions)


def test_the_annual_report_is_tagged_with_alt_text_on_the_map_and_every_chart(viewer, records):  # noqa: F811
    response = signed_in(viewer).get("/dashboard/report/2026/pdf/")
    pdf, title = accessible(response.content)
    assert str(pdf.Root.Lang) == "fr"
    assert title == "Le réemploi dans le Val-de-Marne : rapport d’impact 2026"
    tree = elements(pdf)
    kinds = [kind for kind, _alt in tree]
    assert kinds.count("/H1") == 1 and kinds.count("/H2") >= 4 and "/Table" in kinds
    figures = [alt for kind, alt in tree if kind == "/Figure"]
    assert len(figures) >= 2 and all(figures), figures  # the map and the charts, each described
