"""Load the département's communes and the default category tree from data/."""

import csv
from decimal import Decimal
from pathlib import Path

from django.db import migrations

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
# Medical devices and technical aids: only a certified refurbisher may claim them.
MEDICAL_KEYS = {"mobility", "medical-bed"}


def _decimal(value):
    return Decimal(value) if value not in ("", None) else None


def load(apps, schema_editor):
    Commune = apps.get_model("inventory", "Commune")
    Category = apps.get_model("inventory", "Category")
    with open(DATA_DIR / "communes_94.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            Commune.objects.update_or_create(
                insee=row["insee"],
                defaults={
                    "name": row["name"],
                    "postcode": row["postcode"],
                    "latitude": Decimal(row["latitude"]),
                    "longitude": Decimal(row["longitude"]),
                },
            )
    with open(DATA_DIR / "impact_factors.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    by_key = {}
    for row in rows:  # parents come before their children in the file
        category, _ = Category.objects.update_or_create(
            key=row["key"],
            defaults={
                "parent": by_key.get(row["parent"]) if row["parent"] else None,
                "name_fr": row["name_fr"],
                "name_en": row["name_en"],
                "unit_weight_kg": _decimal(row["unit_weight_kg"]),
                "weight_basis": row["weight_basis"],
                "unit_co2e_kg": _decimal(row["unit_co2e_kg"]),
                "co2e_basis": row["co2e_basis"],
                "unit_value_eur": _decimal(row["unit_value_eur"]),
                "value_basis": row["value_basis"],
                "source": row["source"],
                "note": row["note"],
                "is_medical": row["key"] in MEDICAL_KEYS or row["parent"] in MEDICAL_KEYS,
            },
        )
        by_key[row["key"]] = category


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
