"""What receivers say a delivery achieved (people helped), and the AGEC value grid."""

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.errors import WorkflowError
from inventory.history import attribute
from inventory.models import AgecProductType
from inventory.permissions import CLAIMING_ROLES

from .. import events, notifications, permissions, selectors
from ..models import AgecFlatRate, Beneficiary, DeliveryFeedback, Notification, Reservation
from .base import members

PEOPLE_HELPED_MAX = 1_000_000


def request_feedback(reservation: Reservation) -> None:
    """Ask the receiving side whom the delivery helped (called by ``reservation_deliver``)."""
    notifications.notify(
        users=members(reservation.requester_id, *CLAIMING_ROLES), kind=Notification.Kind.FEEDBACK_REQUESTED,
        obj=reservation, context={"reservation": reservation},
    )


@transaction.atomic
def reservation_feedback_give(
    *, actor, reservation: Reservation, people_helped: int, beneficiary: str = "", comment: str = "",
    consent_to_quote: bool = False,
) -> DeliveryFeedback:
    """The receiving side says, once, how many people a delivered claim helped, which public
    and (optionally) a sentence that the annual report may quote if ``consent_to_quote``.

    Raises:
        PermissionDenied: ``actor`` is not a claiming member of the requester (403).
        WorkflowError: ``invalid_transition`` before delivery, ``feedback_already_given`` (409).
        ValidationError: a negative or absurd number, an unknown public, a comment too long.
    """
    reservation = Reservation.objects.select_for_update().select_related("item").get(pk=reservation.pk)
    refusal = permissions.feedback_refusal(actor, reservation)
    if refusal is not None:
        raise refusal
    if reservation.status not in selectors.FEEDBACK_STATUSES:
        raise WorkflowError("invalid_transition", _("Whom a claim helped is told once it has been delivered."))
    if DeliveryFeedback.objects.filter(reservation=reservation).exists():
        raise WorkflowError("feedback_already_given", _("Whom this delivery helped has already been told."))
    errors = {}
    if not isinstance(people_helped, int) or isinstance(people_helped, bool) or people_helped < 0:
        errors["people_helped"] = _("Give a whole number of people, 0 or more.")
    elif people_helped > PEOPLE_HELPED_MAX:
        errors["people_helped"] = _("That is more people than a delivery can help: check the number.")
    if beneficiary and beneficiary not in Beneficiary.values:
        errors["beneficiary"] = _("Unknown beneficiary public.")
    comment = (comment or "").strip()
    if len(comment) > DeliveryFeedback.COMMENT_MAX_LENGTH:
        errors["comment"] = _("Keep the sentence to %(n)s characters at most (it has %(length)s).") % {
            "n": DeliveryFeedback.COMMENT_MAX_LENGTH, "length": len(comment)}
    if errors:
        raise ValidationError(errors)
    feedback = DeliveryFeedback(
        reservation=reservation, people_helped=people_helped, beneficiary=beneficiary or "",
        comment=comment, consent_to_quote=bool(consent_to_quote and comment), given_by=actor,
    )
    attribute(feedback, actor=actor, reason=_("Feedback given"))
    try:
        with transaction.atomic():
            feedback.save()
    except IntegrityError:  # another request of the same side, a moment earlier
        raise WorkflowError("feedback_already_given", _("Whom this delivery helped has already been told.")) from None
    Notification.objects.filter(
        kind=Notification.Kind.FEEDBACK_REQUESTED, object_type=Notification.ObjectType.RESERVATION,
        object_id=reservation.pk, read_at__isnull=True,
    ).update(read_at=timezone.now())  # the question is answered, for every member of the side
    events.publish(
        "reservation.feedback_given", {"id": reservation.pk, "people_helped": people_helped},
        [events.org_group(reservation.requester_id), events.DEPARTMENT],
    )
    return feedback


#
# The AGEC flat-rate value grid
#
@transaction.atomic
def agec_flat_rate_set(
    *, actor, product_type: str, unit_value_eur: Decimal, source: str, reason: str = "",
) -> AgecFlatRate:
    """Enter or correct the département's value of one donated unit of ``product_type``
    (each change kept in the grid's history with ``reason``).

    Raises:
        PermissionDenied: ``actor`` is not a département manager.
        ValidationError: an unknown product type, a negative value, no source.
    """
    if not permissions.can_edit_agec_grid(actor):
        raise PermissionDenied(_("Only the département's managers may change the AGEC value grid."))
    if product_type not in AgecProductType.values:
        raise ValidationError({"product_type": _("Unknown AGEC product type.")})
    rate = AgecFlatRate.objects.select_for_update().filter(product_type=product_type).first()
    created = rate is None
    rate = rate or AgecFlatRate(product_type=product_type)
    rate.unit_value_eur, rate.source, rate.updated_by = unit_value_eur, (source or "").strip(), actor
    rate.full_clean()
    default_reason = _("Value entered") if created else _("Value corrected")
    attribute(rate, actor=actor, reason=(reason or "").strip() or default_reason)
    rate.save()
    return rate
