"""``booking.created`` and ``booking.status_changed`` reach both organisations and the
département after commit, small (no names), and nothing leaves when the write fails."""

import pytest

from inventory.errors import WorkflowError
from pooling import services
from tests.exchange.test_events import layer, listen  # noqa: F401 (fixtures)

from .conftest import day


def test_booking_events_after_commit_to_both_sides(minibus, school, booker, staff, listen,  # noqa: F811
                                                   django_capture_on_commit_callbacks):
    owner_feed, booker_feed, department = listen(f"org.{minibus.owner_id}"), listen(f"org.{school.pk}"), \
        listen("department")
    with django_capture_on_commit_callbacks(execute=False) as pending:
        [booking] = services.booking_create(actor=booker, item=minibus, requester=school, start=day(1), end=day(3))
    assert owner_feed() == []  # nothing before commit
    for callback in pending:
        callback()
    created = owner_feed()
    assert [e["type"] for e in created] == ["booking.created"]
    assert created[0] | {"at": None} == {"type": "booking.created", "id": booking.pk, "status": "requested",
                                         "item": minibus.pk, "start": day(1).isoformat(), "end": day(3).isoformat(),
                                         "at": None}
    assert [e["type"] for e in booker_feed()] == ["booking.created"]
    assert [e["type"] for e in department()] == ["booking.created"]

    with django_capture_on_commit_callbacks(execute=True):
        services.booking_approve(actor=staff, booking=booking)
    assert [(e["type"], e["status"]) for e in booker_feed()] == [("booking.status_changed", "approved")]
    assert len(owner_feed()) == 1

    # A refused booking sends nothing
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(WorkflowError):
        services.booking_create(actor=booker, item=minibus, requester=school, start=day(2), end=day(3))
    assert owner_feed() == [] and booker_feed() == []

