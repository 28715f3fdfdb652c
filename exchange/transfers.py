"""Transfer records (PV de cession / convention de mise à disposition) and the inventory exits
they make, which ``exports`` writes out for the giver's accountant.

A record is issued when the units are collected: a tagged PDF (PDF/UA) rendered by WeasyPrint from a Django
template, in French, with the parties, the legal basis, the items with their inventory data,
the receiver's commitment and both confirmations (the handover code checked, the signature
drawn at the door). Records are never edited: a correction issues a new version.
"""

import base64
import binascii
import io
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db.models import Max, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from .models import Reservation, TransferRecord
from .pdf import pdf_from_template

SIGNATURE_PREFIX = "data:image/png;base64,"
# A signature pad's PNG is a few KB; anything near this is not a signature.
SIGNATURE_MAX_BYTES = 200_000
SIGNATURE_MAX_SIDE = 2000


def signature_png(data_url: str) -> bytes:
    """The PNG bytes of a signature posted as a data URL, checked to be a small real PNG.

    Raises:
        ValidationError: not a PNG data URL, too large, or not a decodable PNG.
    """
    if not isinstance(data_url, str) or not data_url.startswith(SIGNATURE_PREFIX):
        raise ValidationError({"signature": _("The signature must be a PNG image.")}, code="signature_format")
    encoded = data_url[len(SIGNATURE_PREFIX):]
    if len(encoded) > SIGNATURE_MAX_BYTES * 4 // 3 + 4:
        raise ValidationError({"signature": _("The signature image is too large.")}, code="too_large")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError({"signature": _("The signature must be a PNG image.")}, code="signature_format") from None
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG" or max(image.size) > SIGNATURE_MAX_SIDE:
                raise ValidationError({"signature": _("The signature must be a PNG image.")}, code="signature_format")
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise ValidationError({"signature": _("The signature must be a PNG image.")}, code="signature_format") from None
    return data


def _number(reservation: Reservation, version: int) -> str:
    return f"RB-{timezone.localdate():%Y}-{reservation.pk:06d}-v{version}"


def render_pdf(context: dict, template: str = "exchange/transfer_record.html") -> bytes:
    """A PDF from a Django template, in French (WeasyPrint, tagged PDF/UA): the transfer records, and the QR
    label sheets of ``pooling.labels``."""
    with translation.override("fr"):
        return pdf_from_template(template, context)


def transfer_record_issue(
    *, reservation: Reservation, actor, signature_png: bytes | None, handover_code_checked: bool,
) -> TransferRecord:
    """Issue the next version of the reservation's transfer record (called inside the collect
    transaction, the reservation and its item locked).

    Raises:
        Nothing expected: the reservation was checked by the calling service.
    """
    item = reservation.item
    version = (reservation.transfer_records.aggregate(v=Max("version"))["v"] or 0) + 1
    unit_value = item.effective_unit_value_eur or Decimal("0")
    now = timezone.now()
    record = TransferRecord(
        reservation=reservation, version=version, number=_number(reservation, version),
        kind=TransferRecord.Kind.LOAN if reservation.is_loan else TransferRecord.Kind.CESSION,
        legal_basis=reservation.legal_basis or _("not recorded"),
        handover_code_checked=handover_code_checked, issued_at=now, issued_by=actor,
    )
    context = {
        "record": record, "reservation": reservation, "item": item, "giver": item.owner,
        "receiver": reservation.requester, "unit_value": unit_value, "total_value": unit_value * reservation.quantity,
        "pickup": reservation.pickup, "signature_data_url": (
            SIGNATURE_PREFIX + base64.b64encode(signature_png).decode() if signature_png else ""
        ),
        "actor": actor,
    }
    record.pdf.save(f"{record.number}.pdf", ContentFile(render_pdf(context)), save=False)
    if signature_png:
        record.signature.save(f"{record.number}-signature.png", ContentFile(signature_png), save=False)
    record.save()
    return record


#
# Inventory exits, for the giver's accountant
#
def inventory_exits(*, giver_id: int, start: date, end: date) -> QuerySet[TransferRecord]:
    """The latest version of each transfer record of ``giver``'s items issued in [start, end]."""
    records = TransferRecord.objects.filter(
        reservation__item__owner_id=giver_id, issued_at__date__gte=start, issued_at__date__lte=end,
    ).select_related("reservation__item__category", "reservation__requester")
    latest = {}
    for record in records.order_by("reservation_id", "version"):
        latest[record.reservation_id] = record.pk
    return records.filter(pk__in=latest.values()).order_by("issued_at", "pk")
