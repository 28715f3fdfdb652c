"""Demo data of shared equipment, made through the services (``manage.py load_demo``)."""

from datetime import timedelta

from django.utils import timezone

from inventory.models import Item, Membership

from . import services
from .models import Booking


def build_demo_sharing(*, items: list[Item], users: dict) -> list[Booking]:
    """Give each shared item rules and a label, and book it: the college's staff
    (``users["staff-college"]``) books it next week (approved by the owner's staff) and asks
    for it the week after, on the same weekday for three weeks.

    Returns the bookings made.
    """
    booker = users["staff-college"]
    college = Membership.objects.get(user=booker, role=Membership.Role.STAFF).organisation
    today = timezone.localdate()
    next_monday = today + timedelta(days=7 - today.weekday())
    bookings = []
    for item in items:
        owner_staff = Membership.objects.filter(organisation=item.owner, role=Membership.Role.STAFF).first().user
        services.booking_rules_update(actor=owner_staff, item=item, auto_approve=False, max_days=5, lead_days=1)
        services.label_for(item)
        if item.owner_id == college.pk:
            continue
        [soon] = services.booking_create(actor=booker, item=item, requester=college, start=next_monday,
                                         end=next_monday + timedelta(days=2), quantity=min(2, item.quantity),
                                         purpose="Conseil de classe et portes ouvertes")
        bookings.append(services.booking_approve(actor=owner_staff, booking=soon))
        bookings += services.booking_create(
            actor=booker, item=item, requester=college, start=next_monday + timedelta(days=9),
            end=next_monday + timedelta(days=10), repeat_weeks=2, purpose="Atelier cinéma du jeudi",
        )
    return bookings
