"""Impact of sharing: uses and purchases avoided (a labelled estimate), kept apart from reuse,
on the dashboard, the methodology page and the API's summary."""

import datetime as dt
from decimal import Decimal

import time_machine
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from exchange import reports
from pooling import selectors, services
from tests.factories import OrganisationFactory, member

from .conftest import PARIS, day


def _use(item, organisation, user, staff, start, end, quantity=1):
    [booking] = services.booking_create(actor=user, item=item, requester=organisation, start=start, end=end,
                                        quantity=quantity)
    services.booking_approve(actor=staff, booking=booking) if booking.status == "requested" else None
    with time_machine.travel(dt.datetime.combine(start, dt.time(9), tzinfo=PARIS), tick=False):
        services.booking_check_out(actor=user, booking=booking)
        return services.booking_check_in(actor=user, booking=booking)


def test_each_organisation_using_an_item_in_a_year_is_one_purchase_avoided(minibus, chairs, school, booker, staff,
                                                                          viewer):
    other = OrganisationFactory()
    other_user = member(other)
    _use(minibus, school, booker, staff, day(0), day(1))
    _use(minibus, school, booker, staff, day(2), day(3))  # the same school again: one purchase
    _use(minibus, other, other_user, staff, day(4), day(5))
    _use(chairs, school, booker, staff, day(1), day(2), quantity=2)
    _use(minibus, school, booker, staff, day(30), day(31))  # next year (January 2027): counted again
    unit_value = minibus.effective_unit_value_eur
    chair_value = chairs.effective_unit_value_eur

    figures = reports.sharing_figures(bookings=selectors.visible_shared_uses(viewer), date_from=None, date_to=None)
    assert figures["shared_uses"] == 5
    assert figures["facilities"] == 2 and figures["items_shared"] == 2
    assert figures["purchases_avoided"] == 4  # minibus: school 2026, other 2026, school 2027; chairs: school
    assert figures["purchases_avoided_value_eur"] == (3 * unit_value + 2 * chair_value).quantize(Decimal("0.01"))
    assert figures["items"][0] == {"item": minibus.pk, "title": minibus.title, "uses": 4, "facilities": 2}

    this_year = reports.sharing_figures(bookings=selectors.visible_shared_uses(viewer),
                                        date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 12, 31))
    assert (this_year["shared_uses"], this_year["purchases_avoided"]) == (4, 3)


def test_sharing_is_read_in_one_query(minibus, school, booker, staff, viewer, django_assert_num_queries):
    for n in range(3):
        _use(minibus, school, booker, staff, day(n), day(n + 1))
    bookings = selectors.visible_shared_uses(viewer)
    with django_assert_num_queries(1):  # the scope was decided when the selector was called
        assert reports.sharing_figures(bookings=bookings, date_from=None, date_to=None)["shared_uses"] == 3


def test_the_summary_adds_sharing_apart_from_reuse(minibus, school, booker, staff, viewer):
    _use(minibus, school, booker, staff, day(0), day(2))
    client = APIClient()
    client.force_authenticate(viewer)
    body = client.get(reverse("api:impact-summary")).json()
    assert body["totals"]["shared_uses"] == 1 and body["totals"]["purchases_avoided"] == 1
    assert body["totals"]["items"] == 0 and body["totals"]["co2e_kg"] == "0.000"  # reuse untouched
    assert body["sharing"]["facilities"] == 1
    # an organisation sees its own uses only
    stranger = member(OrganisationFactory())
    client.force_authenticate(stranger)
    assert client.get(reverse("api:impact-summary")).json()["totals"]["shared_uses"] == 0


def test_dashboard_and_methodology_show_uses_purchases_avoided_and_lateness(minibus, school, booker, staff, viewer):
    from django.utils import translation

    _use(minibus, school, booker, staff, day(0), day(1))
    [late] = services.booking_create(actor=booker, item=minibus, requester=school, start=day(1), end=day(2))
    services.booking_approve(actor=staff, booking=late)
    with time_machine.travel(dt.datetime(2026, 12, 8, 9, 0, tzinfo=PARIS), tick=False):
        services.booking_check_out(actor=booker, booking=late)
    with translation.override("fr"), time_machine.travel(dt.datetime(2026, 12, 10, 9, 0, tzinfo=PARIS), tick=False):
        client = Client()
        client.force_login(viewer)
        response = client.get(reverse("dashboard"))
        assert response.status_code == 200, response
        page = response.content.decode()
        method = client.get(reverse("methodology")).content.decode()
    assert 'data-figure="shared_uses">1<' in page and 'data-figure="purchases_avoided">1 ' in page
    assert "Achats évités (estimation)" in page
    late_section = page[page.index('id="late-returns"'):]
    assert minibus.title in late_section[:late_section.index("</section>")]
    assert "Achats évités (estimation)" in method and "une organisation aurait pu louer" in method
