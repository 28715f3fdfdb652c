"""The coordinator's day through the pages: vehicles, "Plan the day", the map drawn as SVG
with the same information as a list, the route sheet and the maps-app link."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from exchange import services
from exchange.models import Reservation, Tour, Vehicle
from inventory.models import Commune
from tests.factories import AvailableItemFactory, OrganisationFactory, member
from tests.frontend.conftest import signed_in


@pytest.fixture(autouse=True)
def _quick_solver(settings):
    settings.REBOND_PLANNER_SECONDS = 0.2


@pytest.fixture
def day():
    return timezone.localdate() + timedelta(days=1)


@pytest.fixture
def claims(association, volunteer):
    """Approved claims at three givers (Vincennes, Champigny, Ivry), two chairs each."""
    made = []
    for code in ("94080", "94017", "94041"):
        commune = Commune.objects.get(insee=code)
        giver = OrganisationFactory(commune=commune, postcode=commune.postcode, address="2 rue Voltaire",
                                    contact_name="Mme Durand", contact_phone="01 43 00 00 00")
        staff = member(giver, "staff")
        item = AvailableItemFactory(owner=giver, quantity=2, title=f"Chaise {commune.name}")
        claim = services.reservation_create(actor=volunteer, item=item, requester=association, quantity=2)
        made.append(services.reservation_approve(actor=staff, reservation=claim))
    return made


@pytest.fixture
def van(association):
    return Vehicle.objects.create(organisation=association, name="Master", capacity_kg=800, capacity_m3=8)


def _plan(client, association, day, claims, vehicles, **extra):
    data = {"vehicles": [v.pk for v in vehicles], "givers": [c.item.owner_id for c in claims]}
    for claim in claims:
        data[f"from{claim.item.owner_id}"], data[f"to{claim.item.owner_id}"] = "09:00", "17:00"
    data.update(extra)
    url = f"{reverse('planner_plan')}?org={association.pk}&date={day.isoformat()}"
    return client.post(url, data, follow=True)


def test_without_a_vehicle_the_page_asks_for_one(coordinator_client, claims):
    body = coordinator_client.get(reverse("planner")).content.decode()
    assert reverse("vehicles") in body and 'id="plan-form"' not in body
    assert claims[0].item.title in body  # still listed, to plan by hand


def test_plan_the_day_then_see_the_map_and_the_list(coordinator_client, coordinator, volunteer, association, van,
                                                    claims, day):
    response = _plan(coordinator_client, association, day, claims, [van], **{f"crew{van.pk}": [volunteer.pk]})
    body = response.content.decode()

    tour = Tour.objects.get()
    assert tour.vehicle == van and tour.pickups.count() == 3
    assert all(list(p.volunteers.all()) == [volunteer] for p in tour.pickups.all())
    assert 'class="message success"' in body
    # The map: inline SVG (no tile, no external image), 47 communes, one route, three numbered stops.
    start = body.index('<svg xmlns="http://www.w3.org/2000/svg" viewBox')
    svg = body[start:body.index("</svg>", start)]
    assert svg.count("<path") == 47 and svg.count("<polyline") == 1
    stops = re.findall(r'<a href="#stop-(\d+)" class="stop"', svg)
    pickups = list(tour.pickups.order_by("position"))
    assert stops == [str(p.pk) for p in pickups]
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")
    assert "IGN Admin Express, Licence Ouverte (Etalab)" in body
    # The same information as a list, each stop an anchor the map's links reach.
    for position, pickup in enumerate(pickups, start=1):
        assert f'id="stop-{pickup.pk}"' in body
        assert pickup.giver.name in body
        assert pickup.position == position and pickup.arrival is not None
    # Open the route in my maps app: the depot, then every stop in order as waypoints.
    link = re.search(r'href="(https://www\.google\.com/maps/dir/[^"]+)"', body).group(1).replace("&amp;", "&")
    query = parse_qs(urlsplit(link).query)
    waypoints = query["waypoints"][0].split("|")
    assert len(waypoints) == 3
    lat, lon = pickups[0].giver.location
    assert waypoints[0] == f"{lat:.5f},{lon:.5f}"
    assert query["origin"] == query["destination"]


def test_what_does_not_fit_is_listed_with_the_reason(coordinator_client, association, claims, day):
    bike = Vehicle.objects.create(organisation=association, name="Vélo cargo", capacity_kg=30, capacity_m3=1)
    body = _plan(coordinator_client, association, day, claims, [bike]).content.decode()
    # 2 chairs = 23.8 kg: one stop fits in 30 kg, the other two are left out.
    assert Tour.objects.get().pickups.count() == 1
    left = body[body.index('id="left-out-title"'):]
    assert left.count("<li>") >= 2
    assert Reservation.objects.filter(status=Reservation.Status.APPROVED).count() == 2


def test_a_plan_without_vehicle_or_stop_is_refused_with_a_message(coordinator_client, association, van, claims,
                                                                   day):
    body = _plan(coordinator_client, association, day, claims, []).content.decode()
    assert 'class="message error"' in body and not Tour.objects.exists()
    body = _plan(coordinator_client, association, day, [], [van]).content.decode()
    assert 'class="message error"' in body and not Tour.objects.exists()


def test_the_route_sheet_has_everything_but_the_codes(coordinator_client, coordinator, volunteer, association, van,
                                                      claims, day):
    _plan(coordinator_client, association, day, claims, [van], **{f"crew{van.pk}": [volunteer.pk]})
    tour = Tour.objects.get()
    body = coordinator_client.get(reverse("route_sheet", args=[tour.pk])).content.decode()
    for claim in claims:
        claim.refresh_from_db()
        assert claim.item.title in body and claim.item.owner.address in body
        assert claim.handover_code not in body
    assert "01 43 00 00 00" in body and "Mme Durand" in body
    assert "24" in body  # 2 chairs × 11.9 kg, rounded
    assert "route-sheet.css" in body and "data-print" in body
    # The tour's volunteer reads it too; a volunteer of the association not on it does not.
    assert signed_in(volunteer).get(reverse("route_sheet", args=[tour.pk])).status_code == 200
    other = member(association, "volunteer")
    assert signed_in(other).get(reverse("route_sheet", args=[tour.pk])).status_code == 403


def test_vehicles_are_managed_by_coordinators(coordinator_client, volunteer_client, association):
    url = f"{reverse('vehicles')}?org={association.pk}"
    fields = {"new-name": "Kangoo", "new-capacity_kg": "400", "new-capacity_m3": "3", "new-usual_start": "08:00",
              "new-usual_end": "16:00", "new-is_active": "on"}
    assert coordinator_client.post(url, fields).status_code == 302
    vehicle = Vehicle.objects.get()
    assert (vehicle.name, vehicle.capacity_kg, str(vehicle.usual_end)) == ("Kangoo", 400, "16:00:00")
    again = coordinator_client.post(url, {**fields, "new-name": "kangoo"})
    assert again.status_code == 400 and Vehicle.objects.count() == 1
    wrong = coordinator_client.post(url, {**fields, "new-name": "Master", "new-usual_end": "07:00"})
    assert wrong.status_code == 400 and Vehicle.objects.count() == 1
    edit = {f"v{vehicle.pk}-{k[4:]}": v for k, v in fields.items() if k != "new-is_active"}
    coordinator_client.post(url, {"vehicle": vehicle.pk, **edit})
    vehicle.refresh_from_db()
    assert vehicle.is_active is False  # taken out of service, not deleted
    assert volunteer_client.get(reverse("vehicles")).status_code == 403
