"""The data the app ships (data/): its copies agree with the project's reference copies in
../shared/data/ (beside the clone in CI and on the developers' machines), and they load."""

import json
from pathlib import Path

import pytest

from exchange import agec, maps
from inventory.models import AgecProductType

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
COPIES = ["communes_94.geojson", "communes_94.csv", "impact_factors.csv", "agec/schema.json", "agec/exemple-valide.csv"]


@pytest.mark.parametrize("name", COPIES)
def test_each_copy_is_the_reference_one(name):
    reference = SHARED / name
    if not reference.exists():
        # Production and stand-alone clones have no shared/ folder; CI and developers do.
        assert (ROOT / "data" / name).exists()
        return
    assert (ROOT / "data" / name).read_bytes() == reference.read_bytes(), f"data/{name} drifted from shared/data"


def test_the_readme_names_each_licence():
    readme = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    for name in ("communes_94.geojson", "agec/schema.json", "Licence Ouverte 2.0", "Licence Ouverte (Etalab)"):
        assert name in readme


def test_the_product_types_are_the_schemas_17():
    enum = next(f for f in agec.schema()["fields"] if f["name"] == "type_produit_acquis")["constraints"]["enum"]
    assert list(AgecProductType.values) == enum and len(enum) == 17


def test_the_outlines_are_the_47_communes_of_the_csv(db):
    from inventory.models import Commune

    codes = [commune.code for commune in maps.outlines()]
    assert len(codes) == 47 == len(set(codes))
    assert set(codes) == set(Commune.objects.values_list("insee", flat=True))
    assert json.loads((ROOT / "data" / "communes_94.geojson").read_text())["type"] == "FeatureCollection"
