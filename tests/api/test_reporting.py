"""The département's reporting API besides AGEC: the communes' GeoJSON, the open-data
package (validated by frictionless) and the receivers' feedback."""

import json
import shutil
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from exchange.models import DeliveryFeedback, ImpactRecord, Notification, Reservation
from inventory import services as inventory_services
from inventory.models import Category, Commune
from tests.clock import in_mid_2026
from tests.factories import AssociationFactory, AvailableItemFactory, ItemFactory, OrganisationFactory

pytestmark = in_mid_2026
ROOT = Path(__file__).resolve().parents[2]
FRICTIONLESS = ROOT / ".venv" / "bin" / "frictionless"


def _record(giver, receiver, *, on, quantity, kg, co2e, eur, kind="donation", category="office-chair", people=None):
    category = Category.objects.get(key=category)
    item = ItemFactory(owner=giver, category=category, quantity=quantity)
    reservation = Reservation.objects.create(
        item=item, requester=receiver, quantity=quantity, mode=kind, status="delivered",
        return_by=on if kind == "loan" else None,
    )
    if people is not None:
        DeliveryFeedback.objects.create(reservation=reservation, people_helped=people)
    return ImpactRecord.objects.create(
        reservation=reservation, kind=kind, date=on, quantity=quantity, kg=Decimal(kg), co2e_kg=Decimal(co2e),
        value_eur=Decimal(eur), category=category, giver=giver, receiver=receiver, commune=giver.commune,
        loan_days=30 if kind == "loan" else None, unit_weight_kg=Decimal("1"), unit_co2e_kg=Decimal("1"),
        unit_value_eur=Decimal("1"),
    )


@pytest.fixture
def records(giver, association):
    vitry = OrganisationFactory(name="Collège Voltaire", commune=Commune.objects.get(insee="94081"))
    ivry = AssociationFactory(name="Ivry Solidaire", commune=Commune.objects.get(insee="94041"))
    return [
        _record(giver, association, on=date(2026, 3, 5), quantity=2, kg="24.500", co2e="60.125", eur="180.10",
                people=7),
        _record(giver, ivry, on=date(2026, 3, 20), quantity=1, kg="0.000", co2e="5.250", eur="12.50", kind="loan",
                category="bed"),
        _record(vitry, ivry, on=date(2026, 4, 2), quantity=4, kg="10.333", co2e="8.001", eur="40.07",
                category="desk-table", people=30),
        _record(vitry, association, on=date(2025, 12, 31), quantity=9, kg="99.000", co2e="1.000", eur="1.00"),
    ]


#
# The communes' GeoJSON
#
FIGURES = ("items", "kg", "co2e_kg", "value_eur", "reservations", "people_helped")


@pytest.mark.parametrize("side", ["giver", "receiver"])
def test_the_geojson_has_47_communes_whose_sums_are_the_summarys_totals(api, viewer, records, side):
    client = api(viewer)
    period = {"from": "2026-01-01", "to": "2026-12-31"}
    response = client.get("/api/v1/impact/communes.geojson", {**period, "side": side})

    assert response.status_code == 200 and response["Content-Type"] == "application/geo+json"
    collection = json.loads(response.content)
    assert collection["type"] == "FeatureCollection" and len(collection["features"]) == 47
    codes = {feature["properties"]["code"] for feature in collection["features"]}
    assert codes == set(Commune.objects.values_list("insee", flat=True))
    assert all(feature["geometry"]["type"] == "Polygon" for feature in collection["features"])
    totals = client.get("/api/v1/impact/summary/", period).json()["totals"]
    for name in FIGURES:
        summed = sum(Decimal(str(feature["properties"][name])) for feature in collection["features"])
        assert summed == Decimal(totals[name]), name
    assert totals["items"] == 7 and totals["people_helped"] == 37  # 2025's record is outside the period


def test_giver_and_receiver_sides_put_the_figures_in_different_communes(api, viewer, records):
    def by_code(side):
        collection = api(viewer).get("/api/v1/impact/communes.geojson", {"from": "2026-01-01", "side": side}).json()
        return {f["properties"]["code"]: f["properties"] for f in collection["features"]}

    giver, receiver = by_code("giver"), by_code("receiver")
    assert (giver["94028"]["items"], giver["94081"]["items"], giver["94041"]["items"]) == (3, 4, 0)
    assert (receiver["94028"]["items"], receiver["94041"]["items"]) == (2, 5)
    assert giver["94081"]["kg"] == 10.333 and giver["94081"]["nom"] == "Vitry-sur-Seine"


def test_the_geojson_keeps_the_summarys_visibility(api, records, staff):
    collection = api(staff).get("/api/v1/impact/communes.geojson").json()
    assert sum(feature["properties"]["items"] for feature in collection["features"]) == 3  # its own two records
    assert api(None).get("/api/v1/impact/communes.geojson").status_code == 401


@pytest.mark.parametrize("query", [
    {"side": "both"}, {"from": "2026-13-01"}, {"from": "2026-05-01", "to": "2026-01-01"}])
def test_bad_geojson_queries_are_400(api, viewer, query):
    assert api(viewer).get("/api/v1/impact/communes.geojson", query).status_code == 400


#
# Open data
#
def test_the_data_package_validates_with_frictionless(api, viewer, records, tmp_path):
    client = api(viewer)
    descriptor = client.get("/api/v1/open-data/datapackage.json")
    assert descriptor.status_code == 200
    package = descriptor.json()
    assert package["licenses"][0]["name"] == "etalab-2.0"
    (tmp_path / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    for resource in package["resources"]:
        response = client.get(f"/api/v1/open-data/{resource['path']}")
        assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
        (tmp_path / resource["path"]).write_bytes(response.content)

    result = subprocess.run([str(FRICTIONLESS), "validate", "datapackage.json"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "INVALID" not in result.stdout and result.stdout.count("VALID") >= 2

    lines = (tmp_path / "impact-monthly.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "month,commune_insee,commune,category_key,category,kind,items,reservations,kg,co2e_kg," \
                       "value_eur,people_helped"
    assert lines[1:] == [
        "2025-12,94081,Vitry-sur-Seine,office-chair,Chaise / fauteuil de bureau,donation,9,1,99.000,1.000,1.00,0",
        "2026-03,94028,Créteil,bed,Lit (cadre et sommier),loan,1,1,0.000,5.250,12.50,0",
        "2026-03,94028,Créteil,office-chair,Chaise / fauteuil de bureau,donation,2,1,24.500,60.125,180.10,7",
        "2026-04,94081,Vitry-sur-Seine,desk-table,Bureau / table,donation,4,1,10.333,8.001,40.07,30",
    ]


def test_the_package_holds_no_personal_data_nor_organisation(api, viewer, records, staff):
    client = api(viewer)
    text = client.get("/api/v1/open-data/impact-monthly.csv").content.decode() + json.dumps(
        client.get("/api/v1/open-data/datapackage.json").json())
    for organisation in {record.giver for record in records} | {record.receiver for record in records}:
        assert organisation.name not in text
    assert staff.username not in text and "@" not in text


def test_a_broken_resource_fails_the_same_validation(api, viewer, records, tmp_path):
    package = api(viewer).get("/api/v1/open-data/datapackage.json").json()
    (tmp_path / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    (tmp_path / "impact-monthly.csv").write_text(
        "month,commune_insee,commune,category_key,category,kind,items,reservations,kg,co2e_kg,value_eur,"
        "people_helped\r\n2026-03,75001,Paris,x,X,gift,-1,1,1,1,1,0\r\n", encoding="utf-8")
    shutil.copy(ROOT / "data" / "impact_factors.csv", tmp_path / "categories.csv")  # wrong columns too
    result = subprocess.run([str(FRICTIONLESS), "validate", "datapackage.json"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode != 0 and "INVALID" in result.stdout


def test_unpublished_open_data_is_for_the_departement_only(api, viewer, manager, volunteer, db):
    for path in ("/api/v1/open-data/datapackage.json", "/api/v1/open-data/categories.csv"):
        assert api(None).get(path).status_code == 401
        assert api(volunteer).get(path).status_code == 403
        assert api(viewer).get(path).status_code == 200
    inventory_services.site_settings_publish_open_data(actor=manager, published=True, reason="Délibération")
    assert api(None).get("/api/v1/open-data/datapackage.json").status_code == 200
    assert api(None).get("/api/v1/open-data/categories.csv").status_code == 200
    assert api(None).get("/api/v1/open-data/unknown.csv").status_code == 404


#
# Feedback
#
@pytest.fixture
def offered(giver):
    return AvailableItemFactory(owner=giver, quantity=3)


def test_after_delivery_the_receiving_side_is_asked_and_answers_once(api, workflow, volunteer, coordinator, staff):
    reservation = workflow.to("collected")
    assert not Notification.objects.filter(kind="feedback_requested").exists()
    early = api(volunteer).post(f"/api/v1/reservations/{reservation.pk}/feedback/", {"people_helped": 3},
                                format="json")
    assert early.status_code == 409 and early.json()["code"] == "invalid_transition"

    reservation = workflow.step(reservation, "deliver")
    asked = set(Notification.objects.filter(kind="feedback_requested").values_list("user__username", flat=True))
    assert asked == {volunteer.username, coordinator.username}  # the claiming side, not the giver

    refused = api(staff).post(f"/api/v1/reservations/{reservation.pk}/feedback/", {"people_helped": 3},
                              format="json")
    assert refused.status_code == 403
    answer = api(coordinator).post(f"/api/v1/reservations/{reservation.pk}/feedback/", {
        "people_helped": 12, "beneficiary": "families", "comment": "=HYPERLINK()", "consent_to_quote": True,
    }, format="json")
    assert answer.status_code == 201, answer.content
    assert answer.json() | {"created_at": None} == {
        "reservation": reservation.pk, "people_helped": 12, "beneficiary": "families", "comment": "=HYPERLINK()",
        "consent_to_quote": True, "created_at": None}
    again = api(volunteer).post(f"/api/v1/reservations/{reservation.pk}/feedback/", {"people_helped": 1},
                                format="json")
    assert again.status_code == 409 and again.json()["code"] == "feedback_already_given"
    assert api(volunteer).get("/api/v1/impact/summary/").json()["totals"]["people_helped"] == 12
    assert not Notification.objects.filter(kind="feedback_requested", read_at__isnull=True).exists()


@pytest.mark.parametrize("body", [
    {}, {"people_helped": -1}, {"people_helped": "many"}, {"people_helped": 10**7}, {"people_helped": 2.5},
    {"people_helped": 1, "beneficiary": "aliens"}, {"people_helped": 1, "comment": "x" * 1001},
])
def test_bad_feedback_is_400_and_writes_nothing(api, workflow, volunteer, body):
    reservation = workflow.to("delivered")
    response = api(volunteer).post(f"/api/v1/reservations/{reservation.pk}/feedback/", body, format="json")
    assert response.status_code == 400, response.content
    assert not DeliveryFeedback.objects.exists()


def test_the_export_has_a_people_helped_column(api, viewer, records):
    import csv
    import io

    response = api(viewer).get("/api/v1/impact/export/", {"format": "csv", "from": "2026-01-01"},
                               HTTP_ACCEPT_LANGUAGE="fr")  # the header is read in French
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")), delimiter=";"))
    column = rows[0].index("Personnes aidées")
    assert [row[column] for row in rows[1:]] == ["7", "", "30"]
