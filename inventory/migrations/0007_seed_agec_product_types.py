"""Map the shipped categories (data/impact_factors.csv) to the AGEC product types; managers
change the mapping afterwards on each category's page. Categories that are none of the 17
declared types (technical aids, small appliances, books, "other"…) stay empty."""

from django.db import migrations

FURNITURE = "Mobilier et aménagement d'intérieur"
IT = "Matériel informatique et téléphonie"
PRINTING = "Matériel de reprographie et d'impression"
LARGE_APPLIANCES = "Gros électroménager, y compris appareils professionnels"
TEXTILES = "Produits textiles à l'exception des équipements de protection individuels"
TOYS = "Jeux et jouets"

SEED = {
    "furniture": FURNITURE, "office-chair": FURNITURE, "desk-table": FURNITURE, "storage": FURNITURE,
    "bed": FURNITURE, "medical-bed": FURNITURE, "mattress": FURNITURE, "school-furniture": FURNITURE,
    "other-furniture": FURNITURE,
    "it": IT, "desktop": IT, "laptop": IT, "monitor": IT, "printer": PRINTING,
    "fridge": LARGE_APPLIANCES, "large-appliance": LARGE_APPLIANCES,
    "textiles": TEXTILES, "toys": TOYS,
}


def seed(apps, schema_editor):
    Category = apps.get_model("inventory", "Category")
    for key, product_type in SEED.items():
        # Only where nobody chose yet: a re-run never undoes a manager's choice.
        Category.objects.filter(key=key, agec_product_type="").update(agec_product_type=product_type)


def unseed(apps, schema_editor):
    apps.get_model("inventory", "Category").objects.filter(key__in=SEED).update(agec_product_type="")


class Migration(migrations.Migration):
    dependencies = [("inventory", "0006_category_agec_product_type_open_data_switch")]
    operations = [migrations.RunPython(seed, unseed)]
