"""Transfer records issued at collection (PDF), the signature validator, corrections as new
versions, the accountant's CSV of inventory exits, and the refurbishment of medical aids."""

import base64
import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from pypdf import PdfReader

from exchange import exports, permissions, services, transfers
from exchange.models import Reservation, TransferRecord
from inventory.errors import WorkflowError
from inventory.models import Category
from tests.factories import AvailableItemFactory, image_bytes, member


def _signature_url(data=None) -> str:
    return transfers.SIGNATURE_PREFIX + base64.b64encode(data or image_bytes("PNG", size=(300, 100))).decode()


def _pdf_text(record) -> str:
    with record.pdf.open("rb") as handle:
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(handle.read())).pages)


@pytest.fixture
def inventoried(giver):
    return AvailableItemFactory(
        owner=giver, quantity=3, inventory_number="INV-2019-0042", acquisition_date=date(2019, 3, 14),
        acquisition_value_eur=Decimal("420.00"), unit_value_eur=Decimal("90.00"), title="Fauteuils de repos",
    )


def _collected(workflow, item, **collect):
    reservation = workflow.to("scheduled", item=item, quantity=2)
    return services.reservation_collect(
        actor=reservation.pickup.volunteers.first(), reservation=reservation,
        handover_code=reservation.handover_code, **collect,
    )


def test_collection_issues_a_signed_transfer_record(workflow, inventoried, giver, association):
    reservation = _collected(workflow, inventoried, signature=_signature_url())

    record = TransferRecord.objects.get(reservation=reservation)
    text = _pdf_text(record)
    assert record.version == 1 and record.kind == TransferRecord.Kind.CESSION and record.handover_code_checked
    assert record.signature.name.endswith(".png")
    with record.pdf.open("rb") as handle:
        assert len(PdfReader(io.BytesIO(handle.read())).pages[0].images) == 1  # the drawn signature
    for expected in (giver.name, association.name, "INV-2019-0042", "CG3P art. L3212-2, 2°", record.number,
                     "420,00", "90,00", "180,00"):  # French number format
        assert expected in text, expected


def test_a_loan_gets_a_loan_agreement(workflow, inventoried):
    loan = workflow.to("scheduled", item=inventoried, mode=Reservation.Mode.LOAN,
                       return_by=timezone.localdate() + timedelta(days=20))
    loan = services.reservation_collect(actor=loan.pickup.volunteers.first(), reservation=loan,
                                        handover_code=loan.handover_code)

    record = loan.transfer_records.get()
    assert record.kind == TransferRecord.Kind.LOAN and record.legal_basis.startswith("Loan")
    assert "INV-2019-0042" in _pdf_text(record)


@pytest.mark.parametrize("bad", [
    "data:image/jpeg;base64," + base64.b64encode(image_bytes("JPEG")).decode(),
    transfers.SIGNATURE_PREFIX + base64.b64encode(image_bytes("JPEG")).decode(),  # a JPEG posing as PNG
    transfers.SIGNATURE_PREFIX + "not base64!!",
    transfers.SIGNATURE_PREFIX + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * 50).decode(),
    transfers.SIGNATURE_PREFIX + "A" * (transfers.SIGNATURE_MAX_BYTES * 2),
])
def test_a_bad_signature_refuses_the_collection_and_writes_nothing(workflow, inventoried, bad):
    reservation = workflow.to("scheduled", item=inventoried)

    with pytest.raises(ValidationError) as refused:
        services.reservation_collect(actor=reservation.pickup.volunteers.first(), reservation=reservation,
                                     handover_code=reservation.handover_code, signature=bad)

    assert "signature" in refused.value.message_dict
    reservation.refresh_from_db()
    assert reservation.status == Reservation.Status.SCHEDULED and not TransferRecord.objects.exists()


def test_records_are_immutable_and_corrections_are_new_versions(workflow, inventoried, volunteer):
    reservation = _collected(workflow, inventoried)
    first = reservation.transfer_records.get()

    with pytest.raises(ValueError):
        first.save()
    correction = transfers.transfer_record_issue(reservation=reservation, actor=volunteer, signature_png=None,
                                                 handover_code_checked=True)

    assert correction.version == 2 and correction.number != first.number
    assert list(reservation.transfer_records.values_list("version", flat=True)) == [2, 1]


def test_both_parties_and_the_departement_may_read_the_record(workflow, inventoried, staff, volunteer, viewer):
    reservation = _collected(workflow, inventoried)
    stranger = member(AvailableItemFactory().owner)

    assert all(permissions.can_view_transfer_record(u, reservation) for u in (staff, volunteer, viewer))
    assert not permissions.can_view_transfer_record(stranger, reservation)


def test_inventory_exits_csv_for_the_accountant(workflow, inventoried, giver):
    reservation = _collected(workflow, inventoried)
    transfers.transfer_record_issue(reservation=reservation, actor=None, signature_png=None,
                                    handover_code_checked=True)  # a correction: only v2 is listed
    today = timezone.localdate()

    response = exports.inventory_exits_export(transfers.inventory_exits(giver_id=giver.pk, start=today, end=today),
                                              filename="exits.csv")

    text = b"".join(response.streaming_content).decode("utf-8")

    lines = text.split("\r\n")
    assert text.startswith("\ufeffnumber;version;")
    assert len([line for line in lines if line]) == 2
    fields = lines[1].split(";")
    assert fields[1] == "2" and "INV-2019-0042" in fields and "420,00" in fields and "90,00" in fields
    assert not list(transfers.inventory_exits(giver_id=giver.pk, start=today + timedelta(days=1),
                                              end=today + timedelta(days=9)))


def test_inventory_exits_csv_neutralises_formulas(workflow, giver, association):
    association.name = "@SUM(A1:A9)"
    association.save()
    item = AvailableItemFactory(owner=giver, quantity=3, title='=HYPERLINK("http://x","y")', inventory_number="-2+3",
                                acquisition_value_eur=Decimal("420.00"))
    _collected(workflow, item)
    today = timezone.localdate()

    response = exports.inventory_exits_export(transfers.inventory_exits(giver_id=giver.pk, start=today, end=today),
                                              filename="exits.csv")

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    row = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))[0]
    assert row["item"] == '\'=HYPERLINK("http://x","y")'
    assert (row["inventory_number"], row["receiver"]) == ("'-2+3", "'@SUM(A1:A9)")
    assert (row["quantity"], row["acquisition_value_eur"]) == ("2", "420,00")


#
# Refurbishment of medical aids
#
def test_the_refurbisher_records_refurbishment_of_a_delivered_medical_aid(workflow, giver, association, volunteer):
    association.is_certified_refurbisher = True
    association.save()
    walker = AvailableItemFactory(owner=giver, category=Category.objects.get(key="walker"),
                                  unit_value_eur=Decimal("60"))
    reservation = workflow.to("delivered", item=walker)

    with pytest.raises(ValidationError):
        services.reservation_record_refurbishment(actor=volunteer, reservation=reservation, notes=" ")
    reservation = services.reservation_record_refurbishment(
        actor=volunteer, reservation=reservation, notes="Freins et embouts changés, désinfection",
    )

    assert reservation.refurbished_at is not None
    assert reservation.history.first().history_change_reason == "Refurbishment recorded"
    with pytest.raises(WorkflowError) as again:
        services.reservation_record_refurbishment(actor=volunteer, reservation=reservation, notes="encore")
    assert again.value.code == "invalid_transition"


def test_refurbishment_only_by_the_receiver_and_only_for_medical_aids(workflow, offered, staff, volunteer):
    chair_claim = workflow.to("delivered", item=offered)

    with pytest.raises(PermissionDenied):
        services.reservation_record_refurbishment(actor=staff, reservation=chair_claim, notes="x")
    with pytest.raises(WorkflowError) as refused:
        services.reservation_record_refurbishment(actor=volunteer, reservation=chair_claim, notes="x")
    assert refused.value.code == "not_medical"
