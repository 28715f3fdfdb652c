"""Reads of the exchange: the one place that decides who sees which rows."""

from django.db.models import Count, F, Q, QuerySet, Sum

from inventory.models import Item, Membership
from inventory.permissions import Roles, is_department_member, organisations_of

from . import permissions, states
from .models import DeliveryFeedback, ImpactMonth, ImpactRecord, Need, Pickup, Reservation, Tour, TransferException


def _signed_in(user) -> bool:
    return bool(user and user.is_authenticated)


def visible_reservations(user) -> QuerySet[Reservation]:
    """Claims of the user's organisations, claims on their items, or all for the département."""
    if not _signed_in(user):
        return Reservation.objects.none()
    if is_department_member(user):
        return Reservation.objects.all()
    own = organisations_of(user)
    return Reservation.objects.filter(Q(requester__in=own) | Q(item__owner__in=own))


# The actions a person takes on one claim, in the order the pages show their buttons.
RESERVATION_ACTIONS = (
    states.APPROVE, states.DECLINE, states.COLLECT, states.DELIVER, states.RETURN, states.REFURBISH, states.CANCEL,
)


def reservation_actions(user, reservation: Reservation, roles: Roles | None = None) -> list[str]:
    """What ``user`` may do on ``reservation`` now: the pipeline (``states``), the claim's
    own guards (``Reservation.can``) and who may (``permissions``), joined once. The pages
    show exactly these buttons and the API's ``allowed_actions`` says the same; pass
    ``roles`` (``inventory.permissions.Roles``) when deciding a list. Scheduling is planned
    on pickups (the planner), not offered here."""
    if not _signed_in(user):
        return []
    roles = roles or Roles(user)
    return [
        action for action in RESERVATION_ACTIONS
        if reservation.can(action) and permissions.may(user, reservation, action, roles)
    ]


# A claim has done its work once delivered (a loan stays delivered until it comes back).
FEEDBACK_STATUSES = (Reservation.Status.DELIVERED, Reservation.Status.RETURNED)


def feedback_pending(user, reservation: Reservation, roles: Roles | None = None) -> bool:
    """Whether ``user`` may now say whom this delivered claim helped (once, by the receiving
    side). Select ``feedback`` with the reservations of a list."""
    if not _signed_in(user) or reservation.status not in FEEDBACK_STATUSES:
        return False
    if has_feedback(reservation):
        return False
    return permissions.feedback_refusal(user, reservation, roles) is None


def has_feedback(reservation: Reservation) -> bool:
    """No query when the list selected ``feedback``."""
    try:
        reservation.feedback  # noqa: B018 - reading it is the question
    except DeliveryFeedback.DoesNotExist:
        return False
    return True


def visible_pickups(user) -> QuerySet[Pickup]:
    """Pickups of the user's association, at the user's site, or all for the département."""
    if not _signed_in(user):
        return Pickup.objects.none()
    if is_department_member(user):
        return Pickup.objects.all()
    own = organisations_of(user)
    return Pickup.objects.filter(Q(organisation__in=own) | Q(giver__in=own) | Q(volunteers=user)).distinct()


def reportable_pickups(user) -> QuerySet[Pickup]:
    """Pickups the reader's reports count: all for the département, else those of their
    organisations (as the association or the giver). No join on volunteers: it aggregates."""
    if not _signed_in(user):
        return Pickup.objects.none()
    if is_department_member(user):
        return Pickup.objects.all()
    own = organisations_of(user)
    return Pickup.objects.filter(Q(organisation__in=own) | Q(giver__in=own))


def visible_tours(user) -> QuerySet[Tour]:
    if not _signed_in(user):
        return Tour.objects.none()
    if is_department_member(user):
        return Tour.objects.all()
    return Tour.objects.filter(organisation__in=organisations_of(user))


def visible_needs(user) -> QuerySet[Need]:
    """Needs are public to everyone signed in: givers look for whom to give to."""
    if not _signed_in(user):
        return Need.objects.none()
    return Need.objects.all()


def open_needs_by_commune(user) -> dict[str, dict]:
    """Open needs per commune of the needing organisation: ``{code: {"needs", "units"}}``
    (units still wanted). One query."""
    rows = (
        visible_needs(user).filter(status=Need.Status.OPEN).order_by()
        .values("organisation__commune_id")
        .annotate(needs=Count("pk"), units=Sum(F("quantity") - F("quantity_met")))
    )
    return {row["organisation__commune_id"]: {"needs": row["needs"], "units": row["units"] or 0} for row in rows}


def need_matches(need: Need) -> QuerySet[Item]:
    """Available items to give in the need's category or its sub-categories, from other organisations."""
    return Item.objects.filter(
        status=Item.Status.AVAILABLE, mode=Item.Mode.GIVE, category__in=need.category.descendant_ids(),
    ).exclude(owner_id=need.organisation_id)


def handover_code_givers(user) -> set[int]:
    """Organisations whose claims' handover codes ``user`` may see: those where it is staff
    (the volunteer must get the code on site, from them). One query for a whole list."""
    if not _signed_in(user):
        return set()
    return set(
        Membership.objects.filter(user=user, role=Membership.Role.STAFF).values_list("organisation_id", flat=True)
    )


def can_see_handover_code(user, reservation: Reservation, givers: set[int] | None = None) -> bool:
    """Whether ``user`` may see this claim's code; pass ``givers`` (``handover_code_givers``)
    when checking a list."""
    if givers is None:
        givers = handover_code_givers(user)
    return reservation.item.owner_id in givers


def _impact_scope(model, user) -> QuerySet:
    if not _signed_in(user):
        return model.objects.none()
    if is_department_member(user):
        return model.objects.all()
    own = organisations_of(user)
    return model.objects.filter(Q(giver__in=own) | Q(receiver__in=own))


def visible_impact_records(user) -> QuerySet[ImpactRecord]:
    """All records for the département; otherwise those the user's organisations gave or received."""
    return _impact_scope(ImpactRecord, user)


def visible_impact_months(user) -> QuerySet[ImpactMonth]:
    """The monthly roll-ups of exactly the records of ``visible_impact_records`` (both have
    the giver and the receiver: one rule, ``_impact_scope``)."""
    return _impact_scope(ImpactMonth, user)


def impact_items(user) -> QuerySet[Item]:
    """Items whose fate the reader's reuse rate counts: all for the département, else their own."""
    if not _signed_in(user):
        return Item.objects.none()
    if is_department_member(user):
        return Item.objects.all()
    return Item.objects.filter(owner__in=organisations_of(user))


def visible_transfer_exceptions(user):
    """Exceptions to the transfer rules: the département reads them all; nobody else (the
    claim they unlock shows its legal basis to both parties)."""
    if not is_department_member(user):
        return TransferException.objects.none()
    return TransferException.objects.select_related("item", "requester", "granted_by")
