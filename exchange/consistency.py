"""The quantity rule, checked against the claims themselves.

``Item.quantity_reserved`` and ``Item.quantity_transferred`` are counters that the services
keep in step with the claims inside one transaction. After a crash, a restore or a manual
edit, this recomputes them from the claims and lists every item where they disagree.
``manage.py check_consistency`` runs it (exit status 1 when anything is wrong).
"""

from dataclasses import dataclass

from django.db.models import Exists, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from inventory.models import Item

from .models import Pickup, Reservation


@dataclass(frozen=True)
class Inconsistency:
    item_id: int
    title: str
    quantity: int
    quantity_reserved: int
    held_by_claims: int
    quantity_transferred: int
    delivered_donations: int


def _units(reservations) -> Subquery:
    total = reservations.filter(item=OuterRef("pk")).order_by().values("item").annotate(n=Sum("quantity"))
    return Coalesce(Subquery(total.values("n"), output_field=IntegerField()), Value(0))


def inconsistent_items() -> list[Inconsistency]:
    """Items whose counters differ from their claims: ``quantity_reserved`` must equal the
    units of the claims holding units (open claims and loans out), ``quantity_transferred``
    the units of delivered donations. One query, whatever the number of items."""
    items = (
        Item.objects.annotate(
            held=_units(Reservation.objects.holding_units()),
            given=_units(Reservation.objects.filter(
                status=Reservation.Status.DELIVERED, mode=Reservation.Mode.DONATION)),
        )
        .exclude(quantity_reserved=F("held"), quantity_transferred=F("given"))
        .order_by("pk")
    )
    return [
        Inconsistency(
            item_id=item.pk, title=item.title, quantity=item.quantity,
            quantity_reserved=item.quantity_reserved, held_by_claims=item.held,
            quantity_transferred=item.quantity_transferred, delivered_donations=item.given,
        )
        for item in items
    ]


def inconsistent_pickups() -> list[Pickup]:
    """Pickups whose status disagrees with their reservations: a planned one with none left
    to collect (it should have closed itself), a done one with a reservation still waiting.
    One query."""
    waiting = Reservation.objects.filter(pickup=OuterRef("pk"), status=Reservation.Status.SCHEDULED)
    return list(
        Pickup.objects.annotate(waiting=Exists(waiting))
        .filter(Q(status=Pickup.Status.PLANNED, waiting=False) | Q(status=Pickup.Status.DONE, waiting=True))
        .order_by("pk")
    )
