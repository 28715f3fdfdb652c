"""Impact arithmetic: the one place where a reservation becomes kilograms, CO2e and euros."""

from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from .models import ImpactRecord, Reservation

KG = Decimal("0.001")
EUR = Decimal("0.01")
# A loan is counted as the share of one year of use it saved the borrower (see below).
LOAN_REFERENCE_DAYS = 365


def _q(value: Decimal, step: Decimal) -> Decimal:
    return value.quantize(step, rounding=ROUND_HALF_UP)


def _or_zero(value: Decimal | None) -> Decimal:
    return Decimal(value) if value is not None else Decimal("0")


def impact_record_for(reservation: Reservation) -> ImpactRecord:
    """Write the impact record of a delivered donation or a returned loan (exactly once).

    Donation (written on delivery):
        kg = the weight measured at collection (``Reservation.weight_kg``, ``kg_basis``
        ``measured``) when the volunteer weighed the load, else quantity × effective unit
        weight (the item's, else the category's default; ``kg_basis`` ``estimated``),
        co2e_kg = quantity × the category's ``unit_co2e_kg`` (avoided manufacture of a new unit),
        value_eur = quantity × effective unit value (the item's, else the category's).

    Loan, a pooled use (written on return; nothing is recorded when a loan is delivered):
        kg = 0 — the units go back to their owner, nothing left the waste stream yet (counting
        them now would count them twice if they are later given away); ``kg_basis``
        ``estimated``, since no weighed kg is counted;
        co2e_kg and value_eur = the donation figures × min(loan_days, 365) / 365 — the borrower
        did not buy its own unit for that share of a year of use; loan_days runs from
        ``delivered_at`` to ``returned_at`` (at least 1 day).

    The unit factors used are copied into the record, so later edits of the categories
    never change it; ``unit_weight_kg`` is the estimate's unit weight even when ``kg`` was
    measured, so the two can be compared. A missing factor counts as 0. The unique constraint on
    (reservation, kind) makes a second write fail rather than double-count.

    Raises:
        IntegrityError: a record of this kind already exists for the reservation.
    """
    item = reservation.item
    category = item.category
    unit_weight = _or_zero(item.effective_unit_weight_kg)
    unit_co2e = _or_zero(category.factor("unit_co2e_kg"))
    unit_value = _or_zero(item.effective_unit_value_eur)
    quantity = Decimal(reservation.quantity)

    if reservation.is_loan:
        returned = reservation.returned_at or timezone.now()
        delivered = reservation.delivered_at or returned
        loan_days = max(1, (timezone.localdate(returned) - timezone.localdate(delivered)).days)
        share = Decimal(min(loan_days, LOAN_REFERENCE_DAYS)) / Decimal(LOAN_REFERENCE_DAYS)
        kind, when = ImpactRecord.Kind.LOAN, returned
        kg, kg_basis = Decimal("0"), ImpactRecord.KgBasis.ESTIMATED
    else:
        loan_days, share = None, Decimal("1")
        kind, when = ImpactRecord.Kind.DONATION, reservation.delivered_at or timezone.now()
        if reservation.weight_kg is not None:
            kg, kg_basis = Decimal(reservation.weight_kg), ImpactRecord.KgBasis.MEASURED
        else:
            kg, kg_basis = quantity * unit_weight, ImpactRecord.KgBasis.ESTIMATED

    record = ImpactRecord(
        reservation=reservation,
        kind=kind,
        date=timezone.localdate(when),
        quantity=reservation.quantity,
        kg=_q(kg, KG),
        kg_basis=kg_basis,
        co2e_kg=_q(quantity * unit_co2e * share, KG),
        value_eur=_q(quantity * unit_value * share, EUR),
        category=category,
        giver=item.owner,
        receiver=reservation.requester,
        commune_id=item.owner.commune_id,
        giver_kind=item.owner.kind,
        receiver_kind=reservation.requester.kind,
        beneficiary=reservation.need.beneficiary if reservation.need_id else "",
        loan_days=loan_days,
        unit_weight_kg=_q(unit_weight, KG),
        unit_co2e_kg=_q(unit_co2e, KG),
        unit_value_eur=_q(unit_value, EUR),
    )
    record.save()
    return record
