"""Demo data for the exchange, made through the services (so counters, history, impact
records and notifications are all real). Called by ``inventory``'s ``load_demo`` command."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from inventory.models import Item, Membership

from . import rollups, services
from .models import Beneficiary, ImpactRecord, Reservation

# One reservation per step of the pipeline, in this order (a loan last).
DEMO_STEPS = ("requested", "approved", "scheduled", "collected", "delivered", "declined", "cancelled", "returned")


def _staff_of(item: Item):
    membership = Membership.objects.filter(organisation_id=item.owner_id, role=Membership.Role.STAFF).first()
    if membership is None:
        raise ValueError(f"item {item.pk} has no staff member to answer its claims")
    return membership.user


def _daytime_window(day: date) -> tuple[datetime, datetime]:
    """09:00-11:00 on ``day``, in the site's time zone (Europe/Paris): when pickups happen."""
    start = timezone.make_aware(datetime.combine(day, time(9)), timezone.get_default_timezone())
    return start, start + timedelta(hours=2)


def _day_months_back(today: date, months_back: int, day_offset: int) -> date:
    """A day ``day_offset`` (0-27) into the calendar month ``months_back`` months before
    ``today``'s, never after ``today``: each record lands in the month it is meant for."""
    year, month = divmod(today.year * 12 + today.month - 1 - months_back, 12)
    return min(date(year, month + 1, 1) + timedelta(days=day_offset), today)


def build_demo_workflow(*, items, users) -> list[Reservation]:
    """Create one reservation in each status of the pipeline, plus an open need.

    Args:
        items: published items (status ``available``) with at least one free unit each, owned
            by organisations that have a ``staff`` member (who answers the claims); one item per
            entry of ``DEMO_STEPS`` is used (8 — fewer items means fewer steps are shown).
            The item used for the last step ("returned") is lent rather than given.
        users: a mapping with ``"coordinator"`` (a coordinator of the partner association,
            which makes the claims and the needs) and ``"volunteer"`` (a volunteer of the same
            association, who is put on the pickups and collects).

    Returns:
        The reservations created, in ``DEMO_STEPS`` order.

    Raises:
        ValueError: the coordinator has no coordinator membership, or an item has no staff.
    """
    coordinator, volunteer = users["coordinator"], users["volunteer"]
    membership = Membership.objects.filter(user=coordinator, role=Membership.Role.COORDINATOR).first()
    if membership is None:
        raise ValueError("users['coordinator'] must be a coordinator of the association")
    association = membership.organisation
    today = timezone.localdate()
    created = []
    for step, item in zip(DEMO_STEPS, items, strict=False):
        staff = _staff_of(item)
        loan = step == "returned"
        reservation = services.reservation_create(
            actor=coordinator, item=item, requester=association, quantity=1,
            mode=Reservation.Mode.LOAN if loan else Reservation.Mode.DONATION,
            return_by=today + timedelta(days=30) if loan else None,
            purpose="Pour l'accueil de jour" if not loan else "Prêt pour un événement",
        )
        if step == "declined":
            reservation = services.reservation_decline(actor=staff, reservation=reservation,
                                                       reason="Déjà promis en interne")
        elif step == "cancelled":
            reservation = services.reservation_cancel(actor=coordinator, reservation=reservation,
                                                      reason="Plus nécessaire")
        elif step != "requested":
            reservation = services.reservation_approve(actor=staff, reservation=reservation)
            if step != "approved":
                # Still to collect: the day after tomorrow; already collected: yesterday.
                day = today + timedelta(days=2 if step == "scheduled" else -1)
                start, end = _daytime_window(day)
                services.pickup_create(actor=coordinator, reservations=[reservation], window_start=start,
                                       window_end=end, volunteers=[volunteer])
                reservation.refresh_from_db()
            if step in ("collected", "delivered", "returned"):
                reservation = services.reservation_collect(actor=volunteer, reservation=reservation,
                                                           handover_code=reservation.handover_code)
            if step in ("delivered", "returned"):
                reservation = services.reservation_deliver(actor=volunteer, reservation=reservation)
            if step == "returned":
                reservation = services.reservation_return(actor=staff, reservation=reservation)
        created.append(reservation)

    if items:
        services.need_create(
            actor=coordinator, organisation=association, category=items[0].category, quantity=5,
            description="Pour équiper notre nouvelle salle d'activités", beneficiary=Beneficiary.SENIORS,
            deadline=today + timedelta(days=60),
        )
    return created


# Who the demo's past deliveries served, in turn (the dashboard's "by beneficiary public").
HISTORY_PUBLICS = (
    Beneficiary.SENIORS, Beneficiary.FAMILIES, Beneficiary.DISABLED, Beneficiary.RSA, Beneficiary.ISOLATED_MINORS,
)


def build_demo_history(*, items, users, months: int = 12) -> list[Reservation]:
    """Deliver one to three units of each item through the whole workflow, as if over the
    past ``months`` months, so the dashboard has a year of figures to show.

    Each delivery runs through the real services (counters, history, notifications and the
    impact record); only the impact records' dates are then spread over the past months.
    That back-dating is for demo data alone: the ledger is otherwise never rewritten.

    Args:
        items: published items with free units, not medical, owned by organisations with staff.
        users: as for ``build_demo_workflow``.
    """
    coordinator, volunteer = users["coordinator"], users["volunteer"]
    association = Membership.objects.get(user=coordinator, role=Membership.Role.COORDINATOR).organisation
    today = timezone.localdate()
    needs = [
        services.need_create(
            actor=coordinator, organisation=association, category=items[0].category, quantity=1000,
            description="Équipement des familles et des personnes accompagnées", beneficiary=public,
        )
        for public in HISTORY_PUBLICS
    ] if items else []
    delivered = []
    for index, item in enumerate(items):
        staff = _staff_of(item)
        quantity = min(item.quantity_available, 1 + index % 3)
        if quantity < 1:
            continue
        reservation = services.reservation_create(
            actor=coordinator, item=item, requester=association, quantity=quantity,
            mode=Reservation.Mode.DONATION, need=needs[index % len(needs)], purpose="Redistribution solidaire",
        )
        reservation = services.reservation_approve(actor=staff, reservation=reservation)
        past = _day_months_back(today, index % months, index % 27)
        start, end = _daytime_window(past)
        services.pickup_create(actor=coordinator, reservations=[reservation], window_start=start,
                               window_end=end, volunteers=[volunteer])
        reservation.refresh_from_db()
        reservation = services.reservation_collect(actor=volunteer, reservation=reservation,
                                                   handover_code=reservation.handover_code)
        reservation = services.reservation_deliver(actor=volunteer, reservation=reservation)
        ImpactRecord.objects.filter(reservation=reservation).update(date=past)
        delivered.append(reservation)
    rollups.rebuild()  # the records were moved to their months around the model's upkeep
    return delivered
