"""The impact ledger: figures from the factors, frozen once written, once per reservation."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from exchange.impact import impact_record_for
from exchange.models import ImpactRecord, Reservation
from inventory.models import Category
from tests.factories import AvailableItemFactory, NeedFactory

LOAN = {"mode": "loan", "return_by": timezone.localdate() + timedelta(days=60)}


def test_a_delivered_donation_writes_one_record_from_the_category_factors(workflow, giver, association):
    reservation = workflow.to("delivered", quantity=2)

    record = ImpactRecord.objects.get()
    chair = Category.objects.get(key="office-chair")  # 11.9 kg, 35.7 kg CO2e, 150 EUR a unit
    assert record.reservation == reservation and record.kind == "donation"
    assert record.quantity == 2
    assert record.kg == 2 * chair.unit_weight_kg == Decimal("23.800")
    assert record.co2e_kg == 2 * chair.unit_co2e_kg == Decimal("71.400")
    assert record.value_eur == 2 * chair.unit_value_eur == Decimal("300.00")
    assert (record.unit_weight_kg, record.unit_co2e_kg, record.unit_value_eur) == (
        chair.unit_weight_kg, chair.unit_co2e_kg, chair.unit_value_eur,
    )
    assert (record.category, record.giver, record.receiver, record.commune) == (
        chair, giver, association, giver.commune,
    )
    assert record.date == timezone.localdate(reservation.delivered_at)
    assert record.beneficiary == "" and record.loan_days is None


def test_the_items_own_weight_and_value_win(workflow, giver):
    item = AvailableItemFactory(owner=giver, quantity=3, unit_weight_kg=Decimal("7.5"), unit_value_eur=Decimal("40"))
    workflow.to("delivered", item=item, quantity=3)
    record = ImpactRecord.objects.get()
    assert (record.kg, record.value_eur) == (Decimal("22.500"), Decimal("120.00"))
    assert record.co2e_kg == Decimal("107.100")  # CO2e is always the category's


def test_a_group_category_uses_the_other_rows_factors(workflow, giver):
    furniture = Category.objects.get(key="furniture")
    assert furniture.unit_weight_kg is None
    other = Category.objects.get(key="other")
    workflow.to("delivered", item=AvailableItemFactory(owner=giver, category=furniture))
    record = ImpactRecord.objects.get()
    assert (record.kg, record.co2e_kg, record.value_eur) == (
        other.unit_weight_kg, other.unit_co2e_kg, other.unit_value_eur,
    )


def test_later_factor_changes_leave_the_record_unchanged(workflow):
    workflow.to("delivered", quantity=2)
    before = ImpactRecord.objects.values().get()

    chair = Category.objects.get(key="office-chair")
    chair.unit_weight_kg, chair.unit_co2e_kg, chair.unit_value_eur = Decimal("99"), Decimal("999"), Decimal("9999")
    chair.save()

    assert ImpactRecord.objects.values().get() == before


def test_the_beneficiary_comes_from_the_need(workflow, association):
    need = NeedFactory(organisation=association, beneficiary="disabled", quantity=2)
    workflow.to("delivered", need=need)
    assert ImpactRecord.objects.get().beneficiary == "disabled"


def test_a_record_is_written_once(workflow):
    reservation = workflow.to("delivered")
    record = ImpactRecord.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        impact_record_for(reservation)
    record.kg = Decimal("1")
    with pytest.raises(ValueError):
        record.save()
    assert ImpactRecord.objects.count() == 1


def test_a_loan_counts_nothing_on_delivery_and_a_pooled_use_on_return(workflow):
    loan = workflow.to("delivered", quantity=2, **LOAN)
    assert not ImpactRecord.objects.exists()
    # The loan lasted 73 days (a fifth of a year).
    noon_73_days_ago = timezone.make_aware(datetime.combine(timezone.localdate() - timedelta(days=73), time(12)))
    Reservation.objects.filter(pk=loan.pk).update(delivered_at=noon_73_days_ago)

    workflow.step(Reservation.objects.get(pk=loan.pk), "return")

    record = ImpactRecord.objects.get()
    assert (record.kind, record.loan_days, record.quantity) == ("loan", 73, 2)
    assert record.kg == 0  # the chairs went home: nothing left the waste stream
    assert record.co2e_kg == Decimal("14.280")  # 2 × 35.7 × 73/365
    assert record.value_eur == Decimal("60.00")  # 2 × 150 × 73/365
    assert record.unit_co2e_kg == Decimal("35.700")


def test_a_short_loan_counts_at_least_one_day(workflow):
    workflow.to("returned", **LOAN)
    record = ImpactRecord.objects.get()
    assert record.loan_days == 1
    assert record.co2e_kg == (Decimal("35.7") / 365).quantize(Decimal("0.001"))


def test_the_organisations_kinds_are_frozen_in_the_record(workflow, giver, association):
    workflow.to("delivered", quantity=1)
    giver.kind = "other"
    giver.save()

    record = ImpactRecord.objects.get()
    assert (record.giver_kind, record.receiver_kind) == ("care_home", "association")
