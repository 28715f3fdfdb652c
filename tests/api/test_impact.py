"""Impact summary and exports."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from exchange.models import DeliveryFeedback, ImpactRecord, Reservation
from inventory.models import Category, Commune
from tests.clock import in_mid_2026
from tests.factories import AssociationFactory, ItemFactory, OrganisationFactory, member

pytestmark = in_mid_2026


def _record(giver, receiver, *, on, quantity, kg, co2e, eur, kind="donation", beneficiary="", category="office-chair",
            kg_basis="estimated"):
    category = Category.objects.get(key=category)
    item = ItemFactory(owner=giver, category=category, quantity=quantity)
    reservation = Reservation.objects.create(
        item=item, requester=receiver, quantity=quantity, mode=kind, status="delivered",
        return_by=on if kind == "loan" else None,
    )
    return ImpactRecord.objects.create(
        reservation=reservation, kind=kind, date=on, quantity=quantity, kg=Decimal(kg), kg_basis=kg_basis,
        co2e_kg=Decimal(co2e),
        value_eur=Decimal(eur), category=category, giver=giver, receiver=receiver, commune=giver.commune,
        beneficiary=beneficiary, loan_days=30 if kind == "loan" else None, unit_weight_kg=Decimal("1"),
        unit_co2e_kg=Decimal("1"), unit_value_eur=Decimal("1"),
    )


@pytest.fixture
def records(giver, association):
    other_giver = OrganisationFactory(name="Collège Voltaire", commune=Commune.objects.get(insee="94081"))
    return [
        _record(giver, association, on=date(2026, 3, 5), quantity=2, kg="24.500", co2e="60.000", eur="180.00",
                beneficiary="seniors"),
        _record(giver, association, on=date(2026, 3, 20), quantity=1, kg="0.000", co2e="5.250", eur="12.50",
                kind="loan", category="bed"),
        _record(other_giver, AssociationFactory(), on=date(2026, 4, 2), quantity=4, kg="10.000", co2e="8.000",
                eur="40.00", beneficiary="families", kg_basis="measured"),
    ]


def test_totals_for_the_department(api, viewer, records):
    DeliveryFeedback.objects.create(reservation=records[0].reservation, people_helped=9)
    DeliveryFeedback.objects.create(reservation=records[2].reservation, people_helped=30)
    totals = api(viewer).get("/api/v1/impact/summary/").json()["totals"]

    assert totals == {"items": 7, "kg": "34.500", "kg_measured": "10.000", "co2e_kg": "73.250", "value_eur": "232.50",
                      "reservations": 3, "people_helped": 39,
                      "shared_uses": 0, "purchases_avoided": 0}  # shared equipment, counted apart


def test_others_see_only_what_they_gave_or_received(api, staff, volunteer, records):
    for user in (staff, volunteer):
        totals = api(user).get("/api/v1/impact/summary/").json()["totals"]
        assert totals["items"] == 3 and totals["reservations"] == 2
    outsider = member(AssociationFactory(), "volunteer")
    assert api(outsider).get("/api/v1/impact/summary/").json()["totals"]["items"] == 0


def test_period_is_inclusive(api, viewer, records):
    totals = api(viewer).get("/api/v1/impact/summary/?from=2026-03-20&to=2026-04-02").json()["totals"]

    assert totals["items"] == 5 and totals["kg"] == "10.000"


@pytest.mark.parametrize(
    "group_by, keys",
    [
        ("month", ["2026-03", "2026-04"]),
        ("kind", ["donation", "loan"]),
        ("beneficiary", ["", "families", "seniors"]),
        ("commune", ["94028", "94081"]),
    ],
)
def test_groups(api, viewer, records, group_by, keys):
    groups = api(viewer).get(f"/api/v1/impact/summary/?group_by={group_by}").json()["groups"]

    assert [g["key"] for g in groups] == keys
    assert sum(g["items"] for g in groups) == 7
    assert sum(Decimal(g["co2e_kg"]) for g in groups) == Decimal("73.250")
    assert all(g["label"] for g in groups)


def test_group_by_giver_and_receiver(api, viewer, records, giver, association):
    by_giver = api(viewer).get("/api/v1/impact/summary/?group_by=organisation").json()["groups"]
    by_receiver = api(viewer).get("/api/v1/impact/summary/?group_by=receiver").json()["groups"]

    mine = next(g for g in by_giver if g["key"] == str(giver.pk))
    assert mine["label"] == giver.name and mine["items"] == 3 and mine["reservations"] == 2
    received = next(g for g in by_receiver if g["key"] == str(association.pk))
    assert received["kg"] == "24.500"


def test_month_labels_follow_the_language(api, viewer, records):
    french = api(viewer).get("/api/v1/impact/summary/?group_by=month").json()["groups"][0]["label"]
    english = api(viewer).get("/api/v1/impact/summary/?group_by=month", HTTP_ACCEPT_LANGUAGE="en").json()
    assert french.lower() == "mars 2026"
    assert english["groups"][0]["label"] == "March 2026"


@pytest.mark.parametrize("query", ["group_by=planet", "from=2026-05-01&to=2026-04-01", "from=yesterday"])
def test_bad_summary_queries_are_400(api, viewer, query):
    assert api(viewer).get(f"/api/v1/impact/summary/?{query}").status_code == 400


def test_csv_export(api, viewer, records):
    response = api(viewer).get("/api/v1/impact/export/?format=csv")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Date"  # the same word in French and English
    assert len(rows) == 4
    assert rows[1][0] == "2026-03-05" and rows[1][8] == "2" and rows[1][9] == "24,500" and rows[1][11] == "180,00"
    assert rows[3][3] == "Collège Voltaire"
    assert rows[0][-1] == "Origine du poids" and [row[-1] for row in rows[1:]] == ["Estimé", "Estimé", "Mesuré"]


def test_csv_export_in_english_and_limited_to_visible_records(api, staff, records):
    response = api(staff).get("/api/v1/impact/export/?format=csv&from=2026-03-01", HTTP_ACCEPT_LANGUAGE="en")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")), delimiter=";"))

    assert rows[0][1] == "Kind" and rows[1][1] == "Donation"
    assert len(rows) == 3  # the other giver's record is not the staff's to see


def test_xlsx_export(api, viewer, records):
    response = api(viewer).get("/api/v1/impact/export/?format=xlsx&to=2026-03-31")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 3
    assert rows[1][8] == 2 and Decimal(str(rows[1][9])) == Decimal("24.5")


def test_unknown_export_format_is_400(api, viewer):
    response = api(viewer).get("/api/v1/impact/export/?format=pdf")

    assert response.status_code == 400 and "format" in response.json()


def test_summary_has_the_kpis_and_new_groups(api, viewer, records):
    body = api(viewer).get("/api/v1/impact/summary/?from=2026-03-01&to=2026-03-31&group_by=quarter").json()

    assert [g["key"] for g in body["groups"]] == ["2026-Q1"]
    kpis = body["kpis"]
    assert (kpis["items_reused"], kpis["loans"], kpis["loan_days"]) == (2, 1, 30)
    assert (kpis["kg"], kpis["co2e_kg"], kpis["value_eur"]) == ("24.500", "65.250", "192.50")
    assert (kpis["givers"], kpis["receivers"]) == (1, 1)
    assert kpis["reuse_rate"] is None and kpis["median_days"] is None
    by_year = api(viewer).get("/api/v1/impact/summary/?group_by=year").json()["groups"]
    assert [(g["key"], g["items"]) for g in by_year] == [("2026", 7)]


@pytest.mark.parametrize("group_by", ["month", "quarter", "year"])
def test_period_groups_answer_under_debug_as_make_demo_serves(api, viewer, records, settings, group_by):
    # DEBUG's cursor writes each query out with its parameters: a lone % in the SQL broke it.
    settings.DEBUG = True
    with CaptureQueriesContext(connection) as queries:
        response = api(viewer).get(f"/api/v1/impact/summary/?from=2026-01-01&group_by={group_by}&to=2026-12-31")

    assert response.status_code == 200, response.content
    assert response.json()["groups"] and any("2026-01-01" in query["sql"] for query in queries)


@pytest.fixture
def hostile_record(association):
    giver = OrganisationFactory(name='=HYPERLINK("http://x","y")', commune=Commune.objects.get(insee="94028"))
    receiver = AssociationFactory(name="+cmd")
    Category.objects.filter(key="office-chair").update(name_fr="@SUM(A1:A9)", name_en="@SUM(A1:A9)")
    return _record(giver, receiver, on=date(2026, 3, 5), quantity=2, kg="24.500", co2e="60.000", eur="180.00")


def test_csv_export_neutralises_formulas(api, viewer, hostile_record):
    response = api(viewer).get("/api/v1/impact/export/?format=csv")

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")), delimiter=";"))
    assert rows[1][3:7] == ['\'=HYPERLINK("http://x","y")', "'+cmd", "Créteil", "'@SUM(A1:A9)"]
    assert rows[1][8:10] == ["2", "24,500"]


def test_xlsx_export_neutralises_formulas(api, viewer, hostile_record):
    response = api(viewer).get("/api/v1/impact/export/?format=xlsx")

    row = next(load_workbook(io.BytesIO(response.content)).active.iter_rows(min_row=2))
    assert [cell.value for cell in row[3:7]] == ['\'=HYPERLINK("http://x","y")', "'+cmd", "Créteil", "'@SUM(A1:A9)"]
    assert {cell.data_type for cell in row[3:7]} == {"s"}
    assert row[8].value == 2 and row[8].data_type == "n"
