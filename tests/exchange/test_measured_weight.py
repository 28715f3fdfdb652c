"""The weight measured at collection: checked once (``clean_weight``), kept on the claim, and
counted by the impact record instead of the estimate (``kg_basis`` measured)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from exchange import reports, selectors, services
from exchange.models import ImpactRecord, Reservation, TransferRecord
from inventory.models import Category


def _collect_and_deliver(workflow, volunteer, *, weight=None, **claim):
    reservation = workflow.to("scheduled", **claim)
    reservation = services.reservation_collect(
        actor=volunteer, reservation=reservation, handover_code=reservation.handover_code, weight_kg=weight,
    )
    return services.reservation_deliver(actor=volunteer, reservation=reservation)


def test_a_weighed_load_is_what_the_impact_record_counts(workflow, volunteer):
    reservation = _collect_and_deliver(workflow, volunteer, weight=Decimal("19.25"), quantity=2)

    record = ImpactRecord.objects.get(reservation=reservation)
    chair = Category.objects.get(key="office-chair")  # estimate: 2 × 11.9 = 23.8 kg
    assert reservation.weight_kg == Decimal("19.25")
    assert (record.kg, record.kg_basis) == (Decimal("19.250"), "measured")
    assert record.unit_weight_kg == chair.unit_weight_kg  # the estimate stays readable beside it


def test_without_a_weight_the_record_is_the_estimate(workflow, volunteer):
    reservation = _collect_and_deliver(workflow, volunteer, quantity=2)

    record = ImpactRecord.objects.get(reservation=reservation)
    assert reservation.weight_kg is None
    assert (record.kg, record.kg_basis) == (Decimal("23.800"), "estimated")


def test_a_weighed_loan_still_counts_no_kg(workflow, volunteer, staff, offered):
    from datetime import timedelta

    from django.utils import timezone

    reservation = _collect_and_deliver(
        workflow, volunteer, weight=Decimal("30"), mode="loan", return_by=timezone.localdate() + timedelta(days=9),
    )
    services.reservation_return(actor=staff, reservation=reservation)

    record = ImpactRecord.objects.get(reservation=reservation)
    assert (record.kind, record.kg, record.kg_basis) == ("loan", Decimal("0.000"), "estimated")


@pytest.mark.parametrize("typed, kept", [("12,5", Decimal("12.50")), ("12.5", Decimal("12.50")),
                                         (Decimal("0.004"), None), ("3500", Decimal("3500.00")), ("", None)])
def test_weights_as_typed(typed, kept):
    if kept is None and typed != "":
        with pytest.raises(ValidationError):  # rounds to 0.00: not a weight
            services.clean_weight(typed)
    else:
        assert services.clean_weight(typed) == kept


@pytest.mark.parametrize("weight", ["0", "-3", "3500.01", "beaucoup", "NaN", "Infinity", "1e9"])
def test_an_impossible_weight_refuses_the_collection_and_writes_nothing(workflow, volunteer, weight):
    reservation = workflow.to("scheduled")
    rows = reservation.history.count()

    with pytest.raises(ValidationError) as refused:
        services.reservation_collect(actor=volunteer, reservation=reservation,
                                     handover_code=reservation.handover_code, weight_kg=weight)

    assert list(refused.value.error_dict) == ["weight_kg"]
    reservation.refresh_from_db()
    assert reservation.status == "scheduled" and reservation.weight_kg is None
    assert reservation.history.count() == rows and not TransferRecord.objects.exists()


def test_the_database_refuses_an_impossible_weight(workflow):
    reservation = workflow.to("scheduled")

    for weight in (Decimal("0"), Decimal("-1"), Decimal("3500.01")):
        with pytest.raises(IntegrityError), transaction.atomic():
            Reservation.objects.filter(pk=reservation.pk).update(weight_kg=weight)


def test_the_figures_say_how_many_kg_were_weighed(workflow, volunteer, viewer):
    _collect_and_deliver(workflow, volunteer, weight=Decimal("10"), quantity=1)   # measured 10 kg
    _collect_and_deliver(workflow, volunteer, quantity=2)                          # estimated 23.8 kg

    records = selectors.visible_impact_records(viewer)
    totals = reports.impact_summary(records=records, group_by=None)["totals"]
    kpis = reports.impact_kpis(records=records, items=selectors.impact_items(viewer), date_from=None, date_to=None)
    assert (totals["kg"], totals["kg_measured"]) == (Decimal("33.800"), Decimal("10.000"))
    assert (kpis["kg_measured"], kpis["kg_measured_share"]) == (Decimal("10.000"), Decimal("29.6"))  # 10 / 33.8


def test_impact_records_stay_write_once(workflow, volunteer):
    reservation = _collect_and_deliver(workflow, volunteer, weight=Decimal("5"))
    record = ImpactRecord.objects.get(reservation=reservation)

    record.kg_basis = "estimated"
    with pytest.raises(ValueError):
        record.save()
