"""Import organisations from the official open-data directories.

Two files are read:

- the FINESS extraction of establishments (data.gouv.fr, "extraction du fichier des
  établissements"): ``;``-separated, Latin-1 (UTF-8 tolerated), no header, a first line
  ``finess;etalab;…``, then ``structureet`` rows (the 31 fields of ``STRUCTURE_FIELDS``
  after the tag) and ``geolocalisation`` rows (``nofinesset;coordxet;coordyet;…`` in
  Lambert-93, EPSG:2154). Only EHPAD (``categetab`` 500) are kept.
- the Annuaire de l'éducation (data.education.gouv.fr): ``;``-separated, UTF-8 (BOM or not),
  a header row (field names or their capitalised labels). Only open public collèges are kept.

``plan_import(data)`` reads a file into an ``ImportPlan`` (create/update/skip/reject rows
with reasons) without writing; ``apply_import(actor=, plan=)`` writes it in one transaction.
A file that cannot be read as a whole (encoding, missing columns, no usable line) gives a
plan with ``errors`` and ``apply_import`` refuses it; a single broken line is rejected with
its line number and the rest of the file goes on.

Legal status: the establishment rows carry no statut juridique (it belongs to the legal
entity file), so imported EHPAD get ``public_establishment``, like the département's public
EHPAD; managers correct private ones on the organisation page (updates never overwrite it).
"""

import csv
import io
import math
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from . import permissions
from .errors import WorkflowError
from .history import attribute
from .models import Commune, Organisation

FINESS = "finess"
ANNUAIRE = "annuaire"

# Field order of a "structureet" row after its tag (FINESS "extraction du fichier des
# établissements", data.gouv.fr documentation).
STRUCTURE_FIELDS = (
    "nofinesset", "nofinessej", "rs", "rslongue", "complrs", "compldistrib", "numvoie", "typvoie",
    "voie", "compvoie", "lieuditbp", "commune", "departement", "libdepartement", "ligneacheminement",
    "telephone", "telecopie", "categetab", "libcategetab", "categagretab", "libcategagretab",
    "siret", "codeape", "codemft", "libmft", "codesph", "libsph", "dateouv", "dateautor", "datemaj",
    "numuai",
)
GEO_FIELDS = ("nofinesset", "coordxet", "coordyet")
EHPAD_CATEGORY = "500"

ANNUAIRE_REQUIRED = (
    "identifiant_de_l_etablissement", "nom_etablissement", "type_etablissement",
    "statut_public_prive", "adresse_1", "code_postal", "code_commune", "etat",
)

# Fields the directories own: a re-import refreshes these and leaves the rest (partner flags,
# contacts set by hand, legal status) alone.
DIRECTORY_FIELDS = ("name", "address", "postcode", "commune", "latitude", "longitude", "siret")

_TO_WGS84 = None


def _lambert93_to_wgs84(x: float, y: float) -> tuple[float, float]:
    """(latitude, longitude) of a Lambert-93 point."""
    global _TO_WGS84
    if _TO_WGS84 is None:
        from pyproj import Transformer  # loads PROJ's database: only when a FINESS file comes

        _TO_WGS84 = Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True)
    longitude, latitude = _TO_WGS84.transform(x, y)
    return latitude, longitude


@dataclass
class PlanRow:
    action: str  # create, update, skip, reject
    line: int
    identifier: str = ""
    name: str = ""
    reason: str = ""
    fields: dict = field(default_factory=dict)  # strings only: the plan is printable/serialisable
    organisation_id: int | None = None


@dataclass
class ImportPlan:
    source: str = ""
    rows: list[PlanRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    kept: set[str] = field(default_factory=set, repr=False)  # identifiers already planned

    def of(self, action: str) -> list[PlanRow]:
        return [row for row in self.rows if row.action == action]

    @property
    def counts(self) -> dict[str, int]:
        return {action: len(self.of(action)) for action in ("create", "update", "skip", "reject")}

    def as_dict(self) -> dict:
        return {"source": self.source, "errors": self.errors, "rows": [asdict(row) for row in self.rows]}


#
# Reading
#
def _decode(data: bytes, encodings: tuple[str, ...]) -> str | None:
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _normalise_header(label: str) -> str:
    """"Identifiant de l'établissement" and "identifiant_de_l_etablissement" are one column."""
    text = unicodedata.normalize("NFKD", label.strip().lstrip("\ufeff"))
    text = "".join(char for char in text if not unicodedata.combining(char)).lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def _department_code() -> str:
    """The département is the one of the seeded communes (all share their first two digits)."""
    first = Commune.objects.order_by("insee").values_list("insee", flat=True).first()
    return first[:2] if first else ""


def _coordinate(value: float) -> Decimal:
    return Decimal(str(round(value, 5)))


def plan_import(data: bytes) -> ImportPlan:
    """Read an uploaded directory file (either format, detected from its first line)."""
    if data.removeprefix(b"\xef\xbb\xbf").startswith(b"finess;"):
        return plan_finess(data)
    return plan_annuaire(data)


def plan_finess(data: bytes) -> ImportPlan:
    plan = ImportPlan(source=FINESS)
    # Latin-1 decodes any byte: try UTF-8 first so a UTF-8 file keeps its accents.
    text = _decode(data, ("utf-8-sig", "latin-1"))
    lines = text.splitlines()
    if not lines or not lines[0].startswith("finess;"):
        plan.errors.append(_("This is not a FINESS extraction: its first line should start with “finess;”."))
        return plan
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd]", text):
        plan.errors.append(_("The file contains characters that are not text: check its encoding."))
        return plan
    structures, coordinates = [], {}
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        values = line.split(";")
        tag = values[0]
        if tag == "structureet":
            if len(values) != len(STRUCTURE_FIELDS) + 1:
                plan.rows.append(PlanRow("reject", number, identifier=values[1][:9] if len(values) > 1 else "",
                                         reason=_("Broken line: %(found)s fields instead of %(expected)s.")
                                         % {"found": len(values), "expected": len(STRUCTURE_FIELDS) + 1}))
                continue
            structures.append((number, dict(zip(STRUCTURE_FIELDS, values[1:], strict=True))))
        elif tag == "geolocalisation":
            if len(values) < len(GEO_FIELDS) + 1:
                plan.rows.append(PlanRow("reject", number, reason=_("Broken geolocation line.")))
                continue
            # Projected later, for the kept establishments only (the national file has ~100,000).
            coordinates[values[1].strip()] = (values[2], values[3])
        else:
            plan.rows.append(PlanRow("reject", number, reason=_("Unknown line type “%(tag)s”.") % {"tag": tag[:30]}))
    if not structures:
        plan.errors.append(_("The file has no establishment line (“structureet”)."))
        return plan

    department = _department_code()
    communes = {commune.insee: commune for commune in Commune.objects.all()}
    for number, row in structures:
        identifier, name = row["nofinesset"].strip(), (row["rslongue"] or row["rs"]).strip()
        if row["categetab"].strip() != EHPAD_CATEGORY:
            plan.rows.append(PlanRow("skip", number, identifier, name, _("Not an EHPAD (category %(code)s).")
                                     % {"code": row["categetab"]}))
            continue
        if row["departement"].strip() != department:
            plan.rows.append(PlanRow("skip", number, identifier, name, _("Outside the département.")))
            continue
        insee = row["departement"].strip() + row["commune"].strip()
        street = " ".join(part.strip() for part in (row["numvoie"], row["typvoie"], row["voie"]) if part.strip())
        postcode = row["ligneacheminement"].strip()[:5]
        try:
            latitude_longitude = _lambert93_to_wgs84(*map(float, coordinates[identifier]))
        except (KeyError, ValueError):  # no geolocation line, or not numbers: the commune's centre
            latitude_longitude = None
        fields = {
            "name": name, "address": street, "postcode": postcode, "commune": insee,
            "siret": row["siret"].strip(), "finess": identifier, "contact_phone": row["telephone"].strip(),
        }
        if latitude_longitude and all(math.isfinite(value) for value in latitude_longitude):
            fields["latitude"], fields["longitude"] = (str(_coordinate(v)) for v in latitude_longitude)
        _plan_row(plan, number, fields, communes, key="finess", kind=Organisation.Kind.CARE_HOME)
    return plan


def plan_annuaire(data: bytes) -> ImportPlan:
    plan = ImportPlan(source=ANNUAIRE)
    text = _decode(data, ("utf-8-sig",))
    if text is None:
        plan.errors.append(_("The file is not in UTF-8: export the Annuaire de l'éducation again as UTF-8 CSV."))
        return plan
    reader = csv.reader(io.StringIO(text), delimiter=";", strict=True)
    try:
        header = next(reader, None)
        _plan_annuaire_rows(plan, reader, header)
    except csv.Error as error:
        plan.rows.clear()
        plan.errors.append(_("Line %(line)s cannot be read (%(error)s): the file is damaged.")
                           % {"line": reader.line_num, "error": error})
    return plan


def _plan_annuaire_rows(plan: ImportPlan, reader, header: list[str] | None) -> None:
    if not header:
        plan.errors.append(_("The file is empty."))
        return
    columns = [_normalise_header(label) for label in header]
    missing = [name for name in ANNUAIRE_REQUIRED if name not in columns]
    if missing:
        plan.errors.append(_("Columns are missing: %(columns)s. Is this an Annuaire de l'éducation export?")
                           % {"columns": ", ".join(missing)})
        return

    department = _department_code()
    communes = {commune.insee: commune for commune in Commune.objects.all()}
    for values in reader:
        number = reader.line_num
        if not any(value.strip() for value in values):
            continue
        if len(values) != len(columns):
            plan.rows.append(PlanRow("reject", number, reason=_(
                "Broken line: %(found)s fields instead of %(expected)s."
            ) % {"found": len(values), "expected": len(columns)}))
            continue
        row = {name: value.strip() for name, value in zip(columns, values, strict=True)}
        identifier, name = row["identifiant_de_l_etablissement"].upper(), row["nom_etablissement"]
        if _normalise_header(row["type_etablissement"]) != "college":
            plan.rows.append(PlanRow("skip", number, identifier, name, _("Not a collège.")))
            continue
        if _normalise_header(row["statut_public_prive"]) != "public":
            plan.rows.append(PlanRow("skip", number, identifier, name, _("Not a public school.")))
            continue
        if row["etat"].upper() != "OUVERT":
            plan.rows.append(PlanRow("skip", number, identifier, name, _("Closed.")))
            continue
        if row["code_commune"][:2] != department:
            plan.rows.append(PlanRow("skip", number, identifier, name, _("Outside the département.")))
            continue
        fields = {
            "name": name, "address": row["adresse_1"], "postcode": row["code_postal"],
            "commune": row["code_commune"], "uai": identifier,
            "siret": re.sub(r"\D", "", row.get("siren_siret", "")), "contact_email": row.get("mail", ""),
        }
        if len(fields["siret"]) != 14:
            fields["siret"] = ""  # a SIREN alone (9 digits) identifies no establishment
        try:
            latitude, longitude = float(row.get("latitude") or "nan"), float(row.get("longitude") or "nan")
        except ValueError:
            latitude = longitude = math.nan
        if math.isfinite(latitude) and math.isfinite(longitude):
            fields["latitude"], fields["longitude"] = str(_coordinate(latitude)), str(_coordinate(longitude))
        _plan_row(plan, number, fields, communes, key="uai", kind=Organisation.Kind.SCHOOL)


def _plan_row(plan: ImportPlan, number: int, fields: dict, communes: dict, *, key: str, kind: str) -> None:
    """Classify one kept line: create, update, skip (unchanged or repeated) or reject."""
    identifier, name = fields[key], fields["name"]
    if fields["commune"] not in communes:
        plan.rows.append(PlanRow("reject", number, identifier, name, _(
            "Commune %(insee)s is not one of the département's communes.") % {"insee": fields["commune"]}))
        return
    if identifier in plan.kept:
        plan.rows.append(PlanRow("reject", number, identifier, name, _("Repeats an earlier line.")))
        return
    plan.kept.add(identifier)
    existing = Organisation.objects.filter(**{key: identifier}).first()
    if existing is None and fields.get("siret"):
        existing = Organisation.objects.filter(siret=fields["siret"]).first()
        if existing is not None and getattr(existing, key) not in ("", identifier):
            plan.rows.append(PlanRow("reject", number, identifier, name, _(
                "SIRET %(siret)s already belongs to %(name)s.") % {"siret": fields["siret"], "name": existing.name}))
            return
    candidate = existing or Organisation(kind=kind, legal_status=Organisation.LegalStatus.PUBLIC_ESTABLISHMENT)
    values = _values(fields, communes)
    if existing is not None:
        values = {name: value for name, value in values.items() if name in DIRECTORY_FIELDS or name == key}
    for attribute_name, value in values.items():
        setattr(candidate, attribute_name, value)
    try:
        candidate.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        plan.rows.append(PlanRow("reject", number, identifier, name, " ".join(error.messages)))
        return
    if existing is None:
        plan.rows.append(PlanRow("create", number, identifier, name, "", fields))
        return
    current = Organisation.objects.get(pk=existing.pk)
    changed = [name for name, value in values.items() if getattr(current, name) != value]
    if not changed:
        plan.rows.append(PlanRow("skip", number, identifier, name, _("Unchanged."), fields, existing.pk))
        return
    labels = ", ".join(str(Organisation._meta.get_field(name).verbose_name) for name in changed)
    plan.rows.append(PlanRow("update", number, identifier, name, _("Changed: %(fields)s.") % {"fields": labels},
                             fields, existing.pk))


def _values(fields: dict, communes: dict) -> dict:
    """Model values from a plan row's strings."""
    values = dict(fields)
    values["commune"] = communes[fields["commune"]]
    for name in ("latitude", "longitude"):
        values[name] = Decimal(fields[name]) if fields.get(name) else None
    return values


#
# Writing
#
@transaction.atomic
def apply_import(*, actor, plan: ImportPlan) -> dict[str, int]:
    """Create and update the organisations of ``plan`` in one transaction.

    Returns the counts of created and updated organisations.

    Raises:
        PermissionDenied: ``actor`` is not a département manager.
        WorkflowError: ``invalid_file`` when the plan has file errors (nothing is written).
        ValidationError: a row became invalid since the preview (nothing is written).
    """
    if not permissions.is_department_manager(actor):
        raise PermissionDenied(_("Only the département's managers may import organisations."))
    if plan.errors:
        raise WorkflowError("invalid_file", " ".join(plan.errors))
    communes = {commune.insee: commune for commune in Commune.objects.all()}
    source = {FINESS: "FINESS", ANNUAIRE: _("Annuaire de l'éducation")}.get(plan.source, plan.source)
    done = {"created": 0, "updated": 0}
    for row in plan.rows:
        if row.action not in ("create", "update"):
            continue
        values = _values(row.fields, communes)
        if row.action == "create":
            kind = Organisation.Kind.CARE_HOME if plan.source == FINESS else Organisation.Kind.SCHOOL
            organisation = Organisation(kind=kind, legal_status=Organisation.LegalStatus.PUBLIC_ESTABLISHMENT,
                                        **values)
            reason = _("Imported from %(source)s") % {"source": source}
        else:
            organisation = Organisation.objects.select_for_update().get(pk=row.organisation_id)
            for name, value in values.items():
                if name in DIRECTORY_FIELDS or name in ("finess", "uai"):
                    setattr(organisation, name, value)
            reason = _("Updated from %(source)s") % {"source": source}
        organisation.full_clean()
        attribute(organisation, actor=actor, reason=reason)
        organisation.save()
        done["created" if row.action == "create" else "updated"] += 1
    return done
