"""Importing organisations from the FINESS and Annuaire de l'éducation files."""

from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.utils import translation

from inventory.directories import apply_import, plan_import
from inventory.errors import WorkflowError
from inventory.models import Organisation

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
FINESS_FILE = SAMPLES / "finess_etablissements_94.csv"
ANNUAIRE_FILE = SAMPLES / "annuaire_education_94.csv"
FINESS_IDS = {"940000011", "940000029", "940000037", "940000045", "940000052", "940000060"}
UAIS = {"0940001K", "0940002L", "0940003M", "0940004N", "0940005P", "0940006R"}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):  # reasons are compared in the source language
        yield


def snapshot():
    return sorted(Organisation.objects.values_list(
        "pk", "name", "kind", "finess", "uai", "siret", "commune_id", "latitude", "longitude", "postcode",
    ))


def test_finess_plan_reads_ehpad_and_reports_the_rest(db):
    plan = plan_import(FINESS_FILE.read_bytes())
    assert plan.errors == []
    assert {row.identifier for row in plan.of("create")} == FINESS_IDS
    skipped = {row.identifier: row.reason for row in plan.of("skip")}
    assert skipped["750000019"] == "Outside the département."
    assert skipped["920000026"] == "Outside the département."
    assert "Not an EHPAD" in skipped["940000078"]
    [broken] = plan.of("reject")
    assert broken.line == 11 and "Broken line" in broken.reason
    assert Organisation.objects.count() == 0  # a plan writes nothing


@pytest.mark.parametrize("path, identifiers, kind, key", [
    (FINESS_FILE, FINESS_IDS, Organisation.Kind.CARE_HOME, "finess"),
    (ANNUAIRE_FILE, UAIS, Organisation.Kind.SCHOOL, "uai"),
])
def test_importing_a_sample_twice_gives_the_same_organisations(manager, path, identifiers, kind, key):
    before = Organisation.objects.count()  # the département itself
    assert apply_import(actor=manager, plan=plan_import(path.read_bytes())) == {"created": 6, "updated": 0}
    first = snapshot()
    imported = Organisation.objects.filter(kind=kind)
    assert Organisation.objects.count() == before + 6
    assert set(imported.values_list(key, flat=True)) == identifiers
    for organisation in imported:
        assert organisation.commune_id.startswith("94")
        assert organisation.postcode == organisation.commune.postcode
        assert organisation.legal_status == Organisation.LegalStatus.PUBLIC_ESTABLISHMENT
        assert 48.68 <= organisation.latitude <= 48.87 and 2.30 <= organisation.longitude <= 2.62
        # within ~300 m of the commune's centre the samples were placed at
        assert abs(float(organisation.latitude - organisation.commune.latitude)) < 0.003
        assert organisation.history.first().history_change_reason.startswith("Imported from")

    second = plan_import(path.read_bytes())
    assert second.counts["create"] == 0 and second.counts["update"] == 0
    assert {row.identifier for row in second.of("skip") if row.reason == "Unchanged."} == identifiers
    assert apply_import(actor=manager, plan=second) == {"created": 0, "updated": 0}
    assert snapshot() == first


def test_finess_insee_code_is_departement_plus_commune(manager):
    apply_import(actor=manager, plan=plan_import(FINESS_FILE.read_bytes()))
    assert Organisation.objects.get(finess="940000011").commune_id == "94028"  # Créteil
    assert Organisation.objects.get(finess="940000060").commune_id == "94003"  # Arcueil
    assert Organisation.objects.get(finess="940000037").name == "EHPAD LE CÈDRE BLEU"  # Latin-1 read


def test_finess_in_utf8_with_bom_is_read_too(db):
    data = b"\xef\xbb\xbf" + FINESS_FILE.read_bytes().decode("latin-1").encode("utf-8")
    plan = plan_import(data)
    assert plan.errors == [] and "EHPAD LE CÈDRE BLEU" in {row.name for row in plan.of("create")}


def test_finess_without_geolocation_falls_back_to_the_commune(manager):
    lines = FINESS_FILE.read_bytes().split(b"\r\n")
    data = b"\r\n".join(line for line in lines if not line.startswith(b"geolocalisation;940000011"))
    apply_import(actor=manager, plan=plan_import(data))
    ehpad = Organisation.objects.get(finess="940000011")
    assert ehpad.latitude is None and ehpad.location == (48.7845, 2.4523)  # Créteil's centre


def test_annuaire_keeps_open_public_colleges_only(db):
    plan = plan_import(ANNUAIRE_FILE.read_bytes())
    reasons = {row.identifier: row.reason for row in plan.of("skip")}
    assert reasons == {"0940007S": "Not a public school.", "0940008T": "Closed."}
    assert plan.of("reject") == []


def test_annuaire_label_headers_without_bom(db):
    text = ANNUAIRE_FILE.read_text(encoding="utf-8-sig")
    header, rest = text.split("\n", 1)
    labels = header.replace("identifiant_de_l_etablissement", "Identifiant de l'établissement")
    labels = ";".join(label.capitalize() for label in labels.split(";"))
    plan = plan_import((labels + "\r\n" + rest).encode("utf-8"))
    assert plan.errors == [] and {row.identifier for row in plan.of("create")} == UAIS


def test_reimport_updates_instead_of_duplicating(manager):
    apply_import(actor=manager, plan=plan_import(ANNUAIRE_FILE.read_bytes()))
    college = Organisation.objects.get(uai="0940001K")
    college.name, college.is_reuse_partner = "Old name", True
    college.save()
    plan = plan_import(ANNUAIRE_FILE.read_bytes())
    [update] = plan.of("update")
    assert update.identifier == "0940001K" and "name" in update.reason
    apply_import(actor=manager, plan=plan)
    college.refresh_from_db()
    assert college.name == "Collège Louis Pasteur"
    assert college.is_reuse_partner  # the directory's fields only
    assert Organisation.objects.filter(uai="0940001K").count() == 1
    assert college.history.first().history_change_reason.startswith("Updated from")


def test_commune_outside_the_table_is_rejected(db):
    data = FINESS_FILE.read_bytes().replace(b";028;94;", b";999;94;", 1)
    plan = plan_import(data)
    [rejected] = [row for row in plan.of("reject") if row.identifier == "940000011"]
    assert "94999" in rejected.reason


@pytest.mark.parametrize("data, message", [
    (ANNUAIRE_FILE.read_text(encoding="utf-8-sig").encode("latin-1", "replace"), "not in UTF-8"),
    (ANNUAIRE_FILE.read_text(encoding="utf-8-sig").encode("utf-16"), "not in UTF-8"),
    (b"uai;nom\r\n0940001K;College\r\n", "Columns are missing"),
    (b"finess;etalab;94\r\nstructureet;940000011;broken\r\n", "no establishment line"),
    (b"finess;etalab\r\n\x00\x01structureet", "encoding"),
    (ANNUAIRE_FILE.read_bytes().replace(b";Coll\xc3\xa8ge Jean Moulin;", b';"Coll\xc3\xa8ge Jean Moulin;'),
     "cannot be read"),
])
def test_malformed_file_gives_a_clear_report_and_writes_nothing(manager, data, message):
    before = snapshot()
    plan = plan_import(data)
    assert plan.errors and message in plan.errors[0]
    with pytest.raises(WorkflowError):
        apply_import(actor=manager, plan=plan)
    assert snapshot() == before


def test_a_row_failing_at_apply_time_rolls_back_the_whole_import(manager):
    plan = plan_import(FINESS_FILE.read_bytes())
    plan.of("create")[-1].fields["postcode"] = "bad"  # became invalid after the preview
    with pytest.raises(Exception):  # noqa: B017 - ValidationError; the point is the rollback
        apply_import(actor=manager, plan=plan)
    assert not Organisation.objects.filter(kind=Organisation.Kind.CARE_HOME).exists()


def test_only_managers_import(staff, viewer):
    plan = plan_import(FINESS_FILE.read_bytes())
    for user in (staff, viewer):
        with pytest.raises(PermissionDenied):
            apply_import(actor=user, plan=plan)


def test_command_dry_run_then_apply(manager, capsys):
    call_command("import_organisations", str(FINESS_FILE))
    assert "6 to create" in capsys.readouterr().out
    assert not Organisation.objects.filter(kind=Organisation.Kind.CARE_HOME).exists()
    call_command("import_organisations", str(FINESS_FILE), "--apply", "--user", manager.username)
    assert Organisation.objects.filter(kind=Organisation.Kind.CARE_HOME).count() == 6
    with pytest.raises(CommandError, match="Columns are missing"):
        call_command("import_organisations", str(SAMPLES / "make_samples.py"))
