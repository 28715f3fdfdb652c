"""A person's bookings are part of "My data" (GDPR)."""

from pooling import services

from .conftest import day


def test_my_data_lists_my_bookings(minibus, school, booker):
    from exchange import privacy

    services.booking_create(actor=booker, item=minibus, requester=school, start=day(1), end=day(2), purpose="Sortie")
    data = privacy.personal_data(booker)
    assert [(b["item"], b["purpose"]) for b in data["bookings_made"]] == [(minibus.title, "Sortie")]
