"""The demo books its shared items through the services."""

from pooling.demo import build_demo_sharing
from pooling.models import Booking


def test_the_demo_books_each_shared_item(minibus, chairs, school, booker, staff):
    bookings = build_demo_sharing(items=[minibus, chairs], users={"staff-college": booker})

    # per item: one approved next week, and a request repeated on three Thursdays
    assert [b.status for b in bookings] == ["approved", "requested", "requested", "requested"] * 2
    assert {b.requester for b in bookings} == {school}
    assert minibus.label.code and chairs.label.code
    assert Booking.objects.filter(item=minibus).values("series").distinct().count() == 2
