from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from inventory.models import Category, Item, validate_siret
from tests.factories import ItemFactory


@pytest.mark.django_db
class TestQuantityArithmetic:
    def test_available_is_quantity_minus_reserved_minus_transferred(self):
        item = ItemFactory(quantity=12)
        item.quantity_reserved, item.quantity_transferred = 5, 4
        assert item.quantity_available == 3

    @pytest.mark.parametrize(
        ("reserved", "transferred", "status"),
        [(0, 0, Item.Status.AVAILABLE), (2, 0, Item.Status.AVAILABLE), (3, 0, Item.Status.RESERVED),
         (1, 2, Item.Status.RESERVED), (0, 3, Item.Status.GONE)],
    )
    def test_status_follows_the_units(self, reserved, transferred, status):
        item = ItemFactory.build(quantity=3, quantity_reserved=reserved, quantity_transferred=transferred)
        assert item.status_from_quantities() == status

    def test_database_refuses_to_overcommit_a_lot(self):
        item = ItemFactory(quantity=3)
        item.quantity_reserved, item.quantity_transferred = 2, 2
        with pytest.raises(IntegrityError), transaction.atomic():
            item.save()

    def test_quantity_cannot_drop_below_claimed_units(self):
        item = ItemFactory(quantity=5, quantity_reserved=3)
        item.quantity = 2
        with pytest.raises(ValidationError) as caught:
            item.full_clean()
        assert "quantity" in caught.value.message_dict


@pytest.mark.django_db
def test_item_falls_back_to_category_factors_then_to_other():
    chair = ItemFactory(category=Category.objects.get(key="office-chair"))
    assert chair.effective_unit_weight_kg == Decimal("11.9")
    chair.unit_weight_kg = Decimal("9.5")
    assert chair.effective_unit_weight_kg == Decimal("9.5")
    # A group row carries no figures: its items count as "other".
    group_item = ItemFactory(category=Category.objects.get(key="furniture"))
    assert group_item.effective_unit_weight_kg == Category.objects.get(key="other").unit_weight_kg


@pytest.mark.django_db
def test_seed_loads_tree_with_sources_and_medical_flags():
    assert Category.objects.count() == 27
    wheelchair = Category.objects.get(key="wheelchair")
    assert wheelchair.parent.key == "mobility" and wheelchair.is_medical
    assert Category.objects.get(key="medical-bed").is_medical
    assert not Category.objects.get(key="office-chair").is_medical
    assert "Envie Autonomie" in wheelchair.source
    furniture = Category.objects.get(key="furniture")
    assert set(furniture.descendant_ids()) >= {furniture.pk, Category.objects.get(key="bed").pk}


@pytest.mark.parametrize("siret", ["73282932000074", "35600000000048", "35600000000015"])
def test_valid_siret(siret):
    validate_siret(siret)


@pytest.mark.parametrize("siret", ["73282932000075", "1234", "7328293200007A"])
def test_invalid_siret(siret):
    with pytest.raises(ValidationError):
        validate_siret(siret)
