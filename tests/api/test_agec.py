"""The AGEC article 58 declaration, end to end: real claims walked through the services to
delivery over two years, then the file every reader gets, checked cell by cell and by
``frictionless validate`` against the official schema shipped in data/agec/.

The data set (the giver is a public care home; every claim is a donation unless said):

year  receiver                         category      units  replacement  AGEC type
2025  Collège Voltaire (P1, public)     office-chair  3      3 × 150      furniture (grid 40 € → 120.00)
2025  Collège Voltaire                  laptop        2      2 × 800      IT (no grid value → 1600.00 estimate)
2025  Collège Voltaire                  books         4      4 × 8        none: left out
2025  CCAS de Créteil (P2, public)      desk-table    1      250          furniture (grid → 40.00)
2025  Secours du Val (private assoc.)   office-chair  2      300          — (not a public body)
2025  Mairie annexe (public, no SIRET)  office-chair  1      150          — (cannot be declared)
2026  Collège Voltaire                  office-chair  1      150          furniture (grid → 40.00)
2026  CCAS de Créteil                   fridge        1      450          large appliances (estimate 450.00)
2026  CCAS de Créteil                   office-chair  1, a loan returned  — (a loan is no acquisition)
Syndicat des eaux (public, SIRET) received nothing.
"""

import csv
import datetime
import io
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from exchange import agec, services
from exchange.models import AgecFlatRate, ImpactRecord
from inventory.models import AgecProductType, Category, Commune, Membership, Organisation
from tests.clock import PARIS
from tests.factories import AvailableItemFactory, DepartmentFactory, OrganisationFactory, member

Role = Membership.Role
ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "data" / "agec" / "schema.json"
FRICTIONLESS = ROOT / ".venv" / "bin" / "frictionless"


def luhn_siret(prefix: str) -> str:
    """A valid SIRET: ``prefix`` (13 digits) and the Luhn check digit."""
    for last in "0123456789":
        candidate = prefix + last
        total = 0
        for index, char in enumerate(reversed(candidate)):
            digit = int(char) * (2 if index % 2 else 1)
            total += digit - 9 if digit > 9 else digit
        if total % 10 == 0:
            return candidate
    raise AssertionError(prefix)


S1, S2, S3, S4 = (luhn_siret(p) for p in ("1994001000001", "2694002800002", "7788990011223", "2594000000004"))


class World:
    """The organisations and their members; ``deliver`` walks one claim to delivery on a day."""

    def __init__(self):
        self.giver = OrganisationFactory(name="EHPAD Les Tilleuls")
        self.giver_staff = member(self.giver, Role.STAFF)
        self.p1 = OrganisationFactory(name="Collège Voltaire", kind="school", siret=S1,
                                      legal_status=Organisation.LegalStatus.PUBLIC_ESTABLISHMENT,
                                      commune=Commune.objects.get(insee="94081"))
        self.p2 = OrganisationFactory(name="CCAS de Créteil, « solidarité »", kind="other", siret=S2,
                                      legal_status=Organisation.LegalStatus.PUBLIC_BODY)
        self.association = OrganisationFactory(
            name="Secours du Val", kind="association", siret=S3, redistributes_to_people_in_need=True,
            legal_status=Organisation.LegalStatus.PRIVATE_NONPROFIT)
        self.no_siret = OrganisationFactory(name="Mairie annexe", kind="other",
                                            legal_status=Organisation.LegalStatus.PUBLIC_BODY)
        self.idle = OrganisationFactory(name="Syndicat des eaux", kind="other", siret=S4,
                                        legal_status=Organisation.LegalStatus.PUBLIC_BODY)
        self.department = DepartmentFactory()
        self.viewer = member(self.department, Role.VIEWER)
        self.manager = member(self.department, Role.MANAGER)
        self.staff = {}
        self.sides = {}
        for organisation in (self.p1, self.p2, self.association, self.no_siret):
            self.staff[organisation.pk] = member(organisation, Role.STAFF)
            self.sides[organisation.pk] = (member(organisation, Role.COORDINATOR), member(organisation, Role.STAFF))

    def deliver(self, receiver, key: str, quantity: int, day: datetime.date, *, loan: bool = False):
        coordinator, collector = self.sides[receiver.pk]
        at = datetime.datetime.combine(day, datetime.time(10), tzinfo=PARIS)
        with time_machine.travel(at, tick=False):
            item = AvailableItemFactory(owner=self.giver, category=Category.objects.get(key=key), quantity=quantity)
            reservation = services.reservation_create(
                actor=collector, item=item, requester=receiver, quantity=quantity,
                mode="loan" if loan else "donation", return_by=day + datetime.timedelta(days=30) if loan else None,
            )
            reservation = services.reservation_approve(actor=self.giver_staff, reservation=reservation)
            services.pickup_create(actor=coordinator, reservations=[reservation], window_start=timezone.now(),
                                   window_end=timezone.now() + datetime.timedelta(hours=2), volunteers=[collector])
            reservation.refresh_from_db()
            reservation = services.reservation_collect(
                actor=collector, reservation=reservation, handover_code=reservation.handover_code)
            reservation = services.reservation_deliver(actor=collector, reservation=reservation)
        if loan:
            with time_machine.travel(at + datetime.timedelta(days=20), tick=False):
                reservation = services.reservation_return(actor=self.giver_staff, reservation=reservation)
        return reservation


@pytest.fixture
def world(db):
    world = World()
    world.deliver(world.p1, "office-chair", 3, datetime.date(2025, 3, 10))
    world.deliver(world.p1, "laptop", 2, datetime.date(2025, 6, 2))
    world.deliver(world.p1, "books", 4, datetime.date(2025, 9, 15))
    world.deliver(world.p2, "desk-table", 1, datetime.date(2025, 12, 31))
    world.deliver(world.association, "office-chair", 2, datetime.date(2025, 4, 1))
    world.deliver(world.no_siret, "office-chair", 1, datetime.date(2025, 5, 5))
    world.deliver(world.p1, "office-chair", 1, datetime.date(2026, 1, 1))
    world.deliver(world.p2, "fridge", 1, datetime.date(2026, 2, 3))
    world.deliver(world.p2, "office-chair", 1, datetime.date(2026, 3, 2), loan=True)
    services.agec_flat_rate_set(
        actor=world.manager, product_type=AgecProductType.FURNITURE, unit_value_eur=Decimal("40.00"),
        source="Arrêté du 29 février 2024, grille forfaitaire, mobilier",
    )
    return world


HEADER = ["annee", "siret", "raison_sociale", "type_produit_acquis", "montant_total",
          "montant_reemploi_et_reutilisation", "montant_produits_issus_don", "montant_produits_recycles",
          "commentaires"]
UNKNOWN = ("Rebond ne connaît pas les achats de cet organisme : montant_total, montant_reemploi_et_reutilisation "
           "et montant_produits_recycles valent 0, à compléter par l'organisme.")
GRID = ("valorisés selon la grille forfaitaire du département : 40.00 EUR l'unité (Arrêté du 29 février 2024, "
        "grille forfaitaire, mobilier)")
ESTIMATE = ("valorisés aux valeurs de remplacement de Rebond (estimation : la grille forfaitaire du département "
            "n'a pas encore de valeur pour ce type de produit)")


def _comment(units: int, deliveries: int, valued: str) -> str:
    return f"Dons reçus via Rebond : {units} unité(s) en {deliveries} livraison(s), {valued}. {UNKNOWN}"


def _row(year, siret, name, product_type, donations, comment):
    return [str(year), siret, name, product_type, "0.00", "0.00", donations, "0.00", comment]


FURNITURE, IT = AgecProductType.FURNITURE.value, AgecProductType.IT.value
APPLIANCES = AgecProductType.LARGE_APPLIANCES.value
P1_2025 = [
    _row(2025, S1, "Collège Voltaire", IT, "1600.00", _comment(2, 1, ESTIMATE)),
    _row(2025, S1, "Collège Voltaire", FURNITURE, "120.00", _comment(3, 1, GRID)),
]
P2_2025 = [_row(2025, S2, "CCAS de Créteil, « solidarité »", FURNITURE, "40.00", _comment(1, 1, GRID))]
EVERYONE_2026 = [
    _row(2026, S1, "Collège Voltaire", FURNITURE, "40.00", _comment(1, 1, GRID)),
    _row(2026, S2, "CCAS de Créteil, « solidarité »", APPLIANCES, "450.00", _comment(1, 1, ESTIMATE)),
]


def _download(api, user, **query):
    response = api(user).get("/api/v1/impact/agec/", query)
    assert response.status_code == 200, response.content
    body = b"".join(response.streaming_content)
    return response, body


def _rows(body: bytes) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
    assert rows[0] == HEADER
    return rows[1:]


def test_the_departement_gets_every_public_bodys_rows_cell_by_cell(api, world):
    response, body = _download(api, world.viewer, year=2025)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="agec-art58-2025.csv"'
    assert not body.startswith(b"\xef\xbb\xbf")  # no BOM, `,` separators, decimal points
    assert body.splitlines()[0] == b",".join(name.encode() for name in HEADER)
    assert _rows(body) == P1_2025 + P2_2025
    _, body_2026 = _download(api, world.viewer, year=2026)
    assert _rows(body_2026) == EVERYONE_2026  # the loan of 2026 is no acquisition


def test_the_file_is_valid_against_the_official_schema(api, world, tmp_path):
    for year in (2025, 2026):
        _, body = _download(api, world.viewer, year=year)
        (tmp_path / f"agec-{year}.csv").write_bytes(body)
    shutil.copy(SCHEMA, tmp_path / "schema.json")
    # A path relative to the files' folder: frictionless refuses absolute ones unless --trusted.
    for year in (2025, 2026):
        result = subprocess.run(
            [str(FRICTIONLESS), "validate", "--schema", "schema.json", f"agec-{year}.csv"],
            cwd=tmp_path, capture_output=True, text=True, timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "VALID" in result.stdout and "INVALID" not in result.stdout


def test_a_broken_file_is_caught_by_the_same_validation(tmp_path):
    """The validation above can fail: a SIRET of 13 digits and an unknown product type are refused."""
    shutil.copy(SCHEMA, tmp_path / "schema.json")
    (tmp_path / "broken.csv").write_text(
        ",".join(HEADER) + "\r\n2025,1234567890123,X,Chaises,0,0,1,0,\r\n", encoding="utf-8")
    result = subprocess.run([str(FRICTIONLESS), "validate", "--schema", "schema.json", "broken.csv"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "INVALID" in result.stdout


def test_staff_of_a_public_body_download_their_own_rows_only(api, world):
    _, body = _download(api, world.staff[world.p1.pk], year=2025)
    assert _rows(body) == P1_2025
    _, body = _download(api, world.staff[world.p2.pk], year=2025)
    assert _rows(body) == P2_2025
    _, body = _download(api, world.staff[world.p1.pk], year=2025, siret=S1)
    assert _rows(body) == P1_2025

    other = api(world.staff[world.p1.pk]).get("/api/v1/impact/agec/", {"year": 2025, "siret": S2})
    assert other.status_code == 403


def test_the_departement_may_ask_for_one_siret(api, world):
    response, body = _download(api, world.viewer, year=2025, siret=S2)
    assert response["Content-Disposition"] == f'attachment; filename="agec-art58-2025-{S2}.csv"'
    assert _rows(body) == P2_2025


def test_others_are_refused(api, world):
    private = api(world.staff[world.association.pk]).get("/api/v1/impact/agec/", {"year": 2025})
    assert private.status_code == 403 and private.json()["detail"]
    giver_volunteer = member(world.p1, Role.VOLUNTEER)  # a member of a public body, but not its staff
    assert api(giver_volunteer).get("/api/v1/impact/agec/", {"year": 2025}).status_code == 403
    assert api(None).get("/api/v1/impact/agec/", {"year": 2025}).status_code == 401


@pytest.mark.parametrize("query", [{"year": "abc"}, {"year": "1999"}, {"siret": "123"}, {"siret": "1234567890123x"}])
def test_bad_queries_are_400(api, world, query):
    response = api(world.viewer).get("/api/v1/impact/agec/", query)
    assert response.status_code == 400
    assert set(response.json()) <= {"year", "siret"}


def test_without_a_grid_every_amount_is_an_estimate(api, world):
    AgecFlatRate.objects.all().delete()
    _, body = _download(api, world.viewer, year=2025)
    assert [row[6] for row in _rows(body)] == ["1600.00", "450.00", "250.00"]  # 3 × 150, 2 × 800, 250
    assert all(ESTIMATE in row[8] for row in _rows(body))


def test_what_the_departement_sees_beside_the_file(world):
    declaration = agec.declaration(year=2025, declarants=None)

    assert declaration.estimated and not declaration.grid_empty
    assert [(line["receiver__name"], line["units"]) for line in declaration.without_siret] == [("Mairie annexe", 1)]
    without = [organisation.name for organisation in declaration.without_rows]
    assert "Syndicat des eaux" in without and "Collège Voltaire" not in without
    assert "Secours du Val" not in without  # private: nothing to declare
    assert [(line["category__name_fr"], line["units"]) for line in declaration.left_out] == [("Livres", 4)]


def test_a_corrected_mapping_and_grid_value_change_the_file(api, world):
    from inventory import services as inventory_services

    inventory_services.category_update_factors(
        actor=world.manager, category=Category.objects.get(key="books"), reason="Fournitures scolaires",
        agec_product_type=AgecProductType.OFFICE_SUPPLIES,
    )
    services.agec_flat_rate_set(actor=world.manager, product_type=AgecProductType.FURNITURE,
                                unit_value_eur=Decimal("35.50"), source="Grille corrigée", reason="Erratum")
    _, body = _download(api, world.viewer, year=2025, siret=S1)
    rows = _rows(body)
    assert [(row[3], row[6]) for row in rows] == [
        ("Fournitures de bureau", "32.00"), (IT, "1600.00"), (FURNITURE, "106.50")]
    rate = AgecFlatRate.objects.get(product_type=FURNITURE)
    assert [h.history_change_reason for h in rate.history.order_by("history_date")] == ["Valeur saisie", "Erratum"]


def test_only_managers_edit_the_grid(world):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(PermissionDenied):
        services.agec_flat_rate_set(actor=world.viewer, product_type=FURNITURE, unit_value_eur=Decimal("1"),
                                    source="x")
    with pytest.raises(ValidationError):
        services.agec_flat_rate_set(actor=world.manager, product_type="Chaises", unit_value_eur=Decimal("1"),
                                    source="x")
    with pytest.raises(ValidationError):
        services.agec_flat_rate_set(actor=world.manager, product_type=FURNITURE, unit_value_eur=Decimal("-1"),
                                    source="x")
    with pytest.raises(ValidationError):
        services.agec_flat_rate_set(actor=world.manager, product_type=FURNITURE, unit_value_eur=Decimal("1"),
                                    source="  ")


def test_the_declaration_costs_a_fixed_number_of_queries(world, django_assert_num_queries):
    ImpactRecord.objects.count()
    with django_assert_num_queries(3):  # the grid, the rows, the categories left out
        agec.declaration(year=2025, declarants=None, siret=S1)
