"""The demo builder walks real claims through every status with the services."""

from exchange.demo import DEMO_STEPS, build_demo_history, build_demo_workflow
from exchange.models import ImpactRecord, Need
from inventory.models import Item
from tests.factories import AvailableItemFactory


def test_the_demo_has_a_reservation_in_every_status(giver, staff, coordinator, volunteer, association):
    items = [AvailableItemFactory(owner=giver, quantity=2) for _ in DEMO_STEPS]

    reservations = build_demo_workflow(items=items, users={"coordinator": coordinator, "volunteer": volunteer})

    assert [r.status for r in reservations] == list(DEMO_STEPS)
    assert {r.requester for r in reservations} == {association}
    assert sorted(ImpactRecord.objects.values_list("kind", flat=True)) == ["donation", "loan"]
    assert Need.objects.filter(organisation=association, status="open").count() == 1


def test_the_demo_history_spreads_real_deliveries_over_the_past_year(giver, staff, coordinator, volunteer):
    items = [AvailableItemFactory(owner=giver, quantity=3) for _ in range(6)]

    delivered = build_demo_history(items=items, users={"coordinator": coordinator, "volunteer": volunteer}, months=3)

    assert [r.status for r in delivered] == ["delivered"] * 6
    assert [r.quantity for r in delivered] == [1, 2, 3, 1, 2, 3]
    records = ImpactRecord.objects.order_by("reservation_id")
    assert records.count() == 6 and len({r.date.month for r in records}) == 3
    assert len({r.beneficiary for r in records}) == 5  # each public served in turn
    assert {item.status for item in Item.objects.filter(pk__in=[i.pk for i in items])} == {"available", "gone"}
