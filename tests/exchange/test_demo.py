"""The demo builder walks real claims through every status with the services."""

from exchange.demo import DEMO_STEPS, build_demo_workflow
from exchange.models import ImpactRecord, Need
from tests.factories import AvailableItemFactory


def test_the_demo_has_a_reservation_in_every_status(giver, staff, coordinator, volunteer, association):
    items = [AvailableItemFactory(owner=giver, quantity=2) for _ in DEMO_STEPS]

    reservations = build_demo_workflow(items=items, users={"coordinator": coordinator, "volunteer": volunteer})

    assert [r.status for r in reservations] == list(DEMO_STEPS)
    assert {r.requester for r in reservations} == {association}
    assert sorted(ImpactRecord.objects.values_list("kind", flat=True)) == ["donation", "loan"]
    assert Need.objects.filter(organisation=association, status="open").count() == 1
