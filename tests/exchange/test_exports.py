"""The export writers: formula text neutralised, numbers and dates kept, the CSV's format."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from exchange import exports

HOSTILE = ['=HYPERLINK("http://x","y")', "+cmd", "@SUM(A1:A9)", "-2+3", "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_text_gets_a_leading_apostrophe(text):
    assert exports.safe_cell(text) == "'" + text
    assert exports.csv_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Chaises", "", "2+3", "a=b", " =1", -3, Decimal("-2.50"), date(2026, 1, 2), None])
def test_other_values_are_left_as_they_are(value):
    assert exports.safe_cell(value) is value


def test_numbers_stay_numbers_in_csv():
    assert exports.csv_cell(Decimal("-2.50")) == "-2,50"
    assert exports.csv_cell(-3) == "-3"
    assert exports.csv_cell(date(2026, 1, 2)) == "2026-01-02"
    assert exports.csv_cell(None) == ""


def test_csv_and_xlsx_files_are_safe_to_open():
    rows = [[text, Decimal("-2.50"), -3, date(2026, 1, 2)] for text in HOSTILE]

    body = "".join(exports.csv_chunks(rows, ["=title", "b", "c", "d"], language="fr"))
    sheet = load_workbook(io.BytesIO(exports.xlsx_bytes(rows, ["=title", "b", "c", "d"], sheet="S"))).active

    assert body.startswith("\ufeff'=title;b;c;d\r\n")
    parsed = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"), newline=""), delimiter=";"))
    assert [row[0] for row in parsed[1:]] == ["'" + text for text in HOSTILE]
    assert {tuple(row[1:]) for row in parsed[1:]} == {("-2,50", "-3", "2026-01-02")}
    cells = list(sheet.iter_rows(min_row=2))
    assert [row[0].value for row in cells] == ["'" + text for text in HOSTILE]
    assert {row[0].data_type for row in cells} == {"s"}  # text, never a formula
    assert {(row[1].data_type, row[2].value) for row in cells} == {("n", -3)}
    assert Decimal(str(cells[0][1].value)) == Decimal("-2.5")
