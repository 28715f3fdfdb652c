"""Claiming, answering claims, planning pickups, collecting, needs and notifications through
the pages (Django test client): each page calls the exchange services."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, override

from exchange import services
from exchange.models import Need, Notification, Pickup, Reservation, Tour
from inventory.models import Category

Status = Reservation.Status


def _claim(client, item, **data):
    payload = {"quantity": "1", "mode": "donation", "return_by": "", "purpose": "Pour la salle commune", "need": ""}
    payload.update(data)
    return client.post(reverse("claim_create", args=[item.pk]), payload, follow=True)


def test_claim_form_creates_a_reservation(volunteer_client, volunteer, association, offered):
    response = _claim(volunteer_client, offered, quantity="2")
    reservation = Reservation.objects.get()
    assert (reservation.requester, reservation.requested_by, reservation.quantity) == (association, volunteer, 2)
    assert response.redirect_chain[-1][0] == reverse("my_reservations")
    assert 'class="message success"' in response.content.decode()
    offered.refresh_from_db()
    assert offered.quantity_reserved == 2


def test_claim_form_errors_are_in_french(volunteer_client, offered):
    response = _claim(volunteer_client, offered, quantity="", mode="")
    assert response.status_code == 400
    assert response.content.decode().count("Ce champ est obligatoire.") == 2
    assert not Reservation.objects.exists()


def test_claiming_more_than_available_shows_the_services_refusal(volunteer_client, offered):
    response = _claim(volunteer_client, offered, quantity="9")
    assert response.status_code == 400
    with override("fr"):
        assert gettext("Only %(n)s unit(s) left to claim.") % {"n": 3} in response.content.decode()
    assert not Reservation.objects.exists()


def test_a_loan_without_return_date_shows_the_services_refusal(volunteer_client, offered):
    response = _claim(volunteer_client, offered, mode="loan")
    assert response.status_code == 400
    with override("fr"):
        assert gettext("A loan needs a return date.") in response.content.decode()
    assert not Reservation.objects.exists()


@pytest.fixture
def claim(volunteer, association, offered):
    return services.reservation_create(actor=volunteer, item=offered, requester=association, quantity=1)


def test_my_reservations_groups_by_status(volunteer_client, claim):
    body = volunteer_client.get(reverse("my_reservations")).content.decode()
    assert claim.item.title in body
    closed = volunteer_client.get(reverse("my_reservations"), {"tab": "closed"}).content.decode()
    assert claim.item.title not in closed and 'class="empty"' in closed


def test_staff_approves_and_sees_the_handover_code_large(staff_client, claim):
    response = staff_client.post(reverse("reservation_action", args=[claim.pk, "approve"]),
                                 {"next": reverse("claims")}, follow=True)
    claim.refresh_from_db()
    assert claim.status == Status.APPROVED and len(claim.handover_code) == 6
    assert '<p class="code" aria-label="' in response.content.decode()
    assert f">{claim.handover_code}</p>" in response.content.decode()


def test_the_requester_never_sees_the_handover_code(volunteer_client, staff, claim):
    services.reservation_approve(actor=staff, reservation=claim)
    claim.refresh_from_db()
    body = volunteer_client.get(reverse("my_reservations")).content.decode()
    assert claim.handover_code not in body


def test_staff_declines_with_a_reason(staff_client, claim):
    staff_client.post(reverse("reservation_action", args=[claim.pk, "decline"]), {"reason": "Déjà donné"})
    claim.refresh_from_db()
    assert claim.status == Status.DECLINED and claim.reason == "Déjà donné"


def test_a_volunteer_cannot_approve_and_gets_the_403_page(volunteer_client, claim):
    response = volunteer_client.post(reverse("reservation_action", args=[claim.pk, "approve"]))
    assert response.status_code == 403
    claim.refresh_from_db()
    assert claim.status == Status.REQUESTED


def test_unknown_action_is_404(staff_client, claim):
    assert staff_client.post(reverse("reservation_action", args=[claim.pk, "explode"])).status_code == 404


def test_reservations_of_others_are_404(claim, db):
    from tests.factories import OrganisationFactory, member

    from .conftest import signed_in

    outsider = signed_in(member(OrganisationFactory()))
    assert outsider.post(reverse("reservation_action", args=[claim.pk, "cancel"])).status_code == 404


@pytest.fixture
def approved(staff, claim):
    return services.reservation_approve(actor=staff, reservation=claim)


def test_planner_is_for_coordinators_only(volunteer_client, staff_client):
    assert volunteer_client.get(reverse("planner")).status_code == 403
    assert staff_client.get(reverse("planner")).status_code == 403


def test_coordinator_plans_a_pickup_and_assigns_a_volunteer(coordinator_client, volunteer, approved, giver):
    day = timezone.localdate() + timedelta(days=1)
    page = coordinator_client.get(reverse("planner"), {"date": day.isoformat()}).content.decode()
    assert approved.item.title in page
    prefix = f"giver{giver.pk}"
    response = coordinator_client.post(
        f"{reverse('pickup_create')}?date={day.isoformat()}",
        {"giver": giver.pk, f"{prefix}-reservations": [approved.pk], f"{prefix}-start": "09:00",
         f"{prefix}-end": "11:00", f"{prefix}-volunteers": [volunteer.pk]},
        follow=True,
    )
    approved.refresh_from_db()
    pickup = Pickup.objects.get()
    assert approved.status == Status.SCHEDULED and approved.pickup == pickup
    assert list(pickup.volunteers.all()) == [volunteer]
    assert timezone.localtime(pickup.window_start).date() == day
    assert 'class="message success"' in response.content.decode()


def test_a_window_ending_before_it_starts_is_refused(coordinator_client, approved, giver):
    prefix = f"giver{giver.pk}"
    response = coordinator_client.post(reverse("pickup_create"), {
        "giver": giver.pk, f"{prefix}-reservations": [approved.pk],
        f"{prefix}-start": "11:00", f"{prefix}-end": "09:00",
    }, follow=True)
    assert not Pickup.objects.exists()
    assert 'class="message error"' in response.content.decode()


@pytest.fixture
def scheduled(coordinator, volunteer, approved):
    start = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0)
    services.pickup_create(actor=coordinator, reservations=[approved], window_start=start,
                           window_end=start + timedelta(hours=2), volunteers=[volunteer])
    approved.refresh_from_db()
    return approved


def test_volunteer_sees_the_days_pickup_with_map_links(volunteer_client, scheduled):
    day = timezone.localtime(scheduled.pickup.window_start).date()
    body = volunteer_client.get(reverse("my_pickups"), {"date": day.isoformat()}).content.decode()
    assert scheduled.item.title in body
    assert 'href="geo:' in body and "openstreetmap.org/?mlat=" in body
    assert 'inputmode="numeric"' in body


def test_collect_needs_the_right_code_then_deliver(volunteer_client, scheduled):
    wrong = "000000" if scheduled.handover_code != "000000" else "111111"
    response = volunteer_client.post(reverse("reservation_action", args=[scheduled.pk, "collect"]),
                                     {"handover_code": wrong}, follow=True)
    scheduled.refresh_from_db()
    assert scheduled.status == Status.SCHEDULED
    assert 'class="message error"' in response.content.decode()
    volunteer_client.post(reverse("reservation_action", args=[scheduled.pk, "collect"]),
                          {"handover_code": scheduled.handover_code})
    scheduled.refresh_from_db()
    assert scheduled.status == Status.COLLECTED
    volunteer_client.post(reverse("reservation_action", args=[scheduled.pk, "deliver"]))
    scheduled.refresh_from_db()
    assert scheduled.status == Status.DELIVERED


def test_a_malformed_code_is_refused_in_french_before_the_service(volunteer_client, scheduled):
    response = volunteer_client.post(reverse("reservation_action", args=[scheduled.pk, "collect"]),
                                     {"handover_code": "12"}, follow=True)
    scheduled.refresh_from_db()
    assert scheduled.status == Status.SCHEDULED
    assert 'class="message error"' in response.content.decode()


def test_tour_creation_and_optimise(coordinator_client, association, scheduled):
    day = timezone.localtime(scheduled.pickup.window_start).date()
    coordinator_client.post(f"{reverse('tour_create')}?date={day.isoformat()}",
                            {"capacity_kg": "500", "capacity_m3": "8", "pickups": [scheduled.pickup_id]})
    tour = Tour.objects.get()
    assert tour.organisation == association and tour.date == day
    response = coordinator_client.post(reverse("tour_optimise", args=[tour.pk]), follow=True)
    body = response.content.decode()
    assert "<meter" in body and 'class="message success"' in body


def test_association_claims_page_lists_waiting_and_approved(coordinator_client, approved):
    body = coordinator_client.get(reverse("association_claims")).content.decode()
    assert approved.item.title in body


def test_needs_create_list_and_matches(volunteer_client, association, offered):
    chairs = Category.objects.get(key="office-chair")
    response = volunteer_client.post(reverse("need_create"), {
        "category": chairs.pk, "quantity": "4", "beneficiary": "seniors", "description": "Pour la salle",
        "deadline": "",
    }, follow=True)
    need = Need.objects.get()
    assert need.organisation == association
    assert response.redirect_chain[-1][0] == reverse("need_detail", args=[need.pk])
    assert offered.title in response.content.decode()  # a matching item
    assert "Pour la salle" in volunteer_client.get(reverse("needs")).content.decode()


def test_need_form_errors_are_in_french(volunteer_client):
    response = volunteer_client.post(reverse("need_create"), {"quantity": "0"})
    assert "Ce champ est obligatoire." in response.content.decode()
    assert not Need.objects.exists()


def test_notifications_bell_list_and_mark_read(staff_client, staff, claim):
    unread = Notification.objects.filter(user=staff, read_at__isnull=True)
    assert unread.count() == 1
    home = staff_client.get(reverse("home")).content.decode()
    assert 'class="badge"' in home
    page = staff_client.get(reverse("notifications")).content.decode()
    assert claim.item.title in page and reverse("claims") in page
    staff_client.post(reverse("notifications_read"), {"id": unread.get().pk})
    assert unread.count() == 0
    assert 'class="badge"' not in staff_client.get(reverse("home")).content.decode()


@pytest.mark.parametrize("name", ["my_reservations", "claims", "my_pickups", "planner", "needs", "notifications"])
def test_pages_need_sign_in(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_bell_fragment_reloads_on_live_events(staff_client, claim):
    home = staff_client.get(reverse("home")).content.decode()
    assert 'hx-trigger="rebond:event from:body"' in home and 'data-events-url="/ws/events/"' in home
    bell = staff_client.get(reverse("notifications_bell"), HTTP_HX_REQUEST="true").content.decode()
    assert bell.lstrip().startswith('<a href="/notifications/" class="bell"') and 'class="badge"' in bell


@pytest.mark.parametrize("forged", ["", "abc", "999999"])
def test_a_forged_pickup_form_is_refused_without_error(coordinator_client, approved, forged):
    response = coordinator_client.post(reverse("pickup_create"), {"giver": forged}, follow=True)
    assert response.status_code == 200 and not Pickup.objects.exists()
    assert 'class="message error"' in response.content.decode()


def test_a_return_date_in_the_past_shows_on_its_field(volunteer_client, offered):
    response = _claim(volunteer_client, offered, mode="loan", return_by="2001-01-01")
    assert response.status_code == 400 and not Reservation.objects.exists()
    with override("fr"):
        assert gettext("The return date is in the past.") in response.content.decode()


def test_claims_page_queries_do_not_grow_with_the_claims(staff_client, volunteer, association, giver, staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.frontend.conftest import offer

    def approved_claim():
        item = offer(giver, staff, quantity=1)
        reservation = services.reservation_create(actor=volunteer, item=item, requester=association, quantity=1)
        return services.reservation_approve(actor=staff, reservation=reservation)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            body = staff_client.get(reverse("claims")).content.decode()
        return len(captured), body

    first = approved_claim()
    few, body = queries()
    assert first.handover_code in body  # the code is shown to the giver's staff
    for _ in range(4):
        approved_claim()
    many, body = queries()
    assert few == many
