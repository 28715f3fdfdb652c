"""The reporting pages: the dashboard's map, the needs map, the AGEC pages, the open-data
page and its switch, the feedback form, and the annual report on screen and as a PDF."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from pypdf import PdfReader

from exchange.models import AgecFlatRate, DeliveryFeedback, ImpactRecord, Notification, Reservation
from inventory.models import AgecProductType, Category, Commune, SiteSettings
from tests.clock import in_mid_2026
from tests.factories import AssociationFactory, ItemFactory, NeedFactory, OrganisationFactory, member

from .conftest import signed_in

pytestmark = in_mid_2026
DAY = datetime.date(2026, 3, 5)


def _record(giver, receiver, *, kg="12.000", quantity=2, on=DAY, category="office-chair", people=None,
            comment="", consent=False, beneficiary=""):
    category = Category.objects.get(key=category)
    item = ItemFactory(owner=giver, category=category, quantity=quantity, status="gone")
    reservation = Reservation.objects.create(item=item, requester=receiver, quantity=quantity, status="delivered")
    record = ImpactRecord.objects.create(
        reservation=reservation, kind="donation", date=on, quantity=quantity, kg=Decimal(kg),
        co2e_kg=Decimal("10"), value_eur=Decimal("100"), category=category, giver=giver, receiver=receiver,
        commune=giver.commune, giver_kind=giver.kind, receiver_kind=receiver.kind, unit_weight_kg=Decimal("1"),
        unit_co2e_kg=Decimal("1"), unit_value_eur=Decimal("1"),
    )
    if people is not None:
        DeliveryFeedback.objects.create(reservation=reservation, people_helped=people, comment=comment,
                                        consent_to_quote=consent, beneficiary=beneficiary)
    return record


@pytest.fixture
def records(giver, association):
    vitry = OrganisationFactory(name="Collège Voltaire", kind="school", commune=Commune.objects.get(insee="94081"))
    return [
        _record(giver, association, kg="1234.500", people=12, beneficiary="seniors",
                comment="Nos résidents ont enfin des fauteuils confortables.", consent=True),
        _record(vitry, AssociationFactory(), kg="10.000", quantity=5, people=40, beneficiary="families",
                comment="Ne pas citer ceci.", consent=False),
    ]


#
# Maps
#
def test_the_dashboard_draws_the_47_communes_with_their_figures(viewer, records):
    response = signed_in(viewer).get("/dashboard/?date_from=2026-01-01&date_to=2026-12-31")
    page = response.content.decode()

    links = re.findall(r'<a href="#impact-map-(\d{5})" aria-label="([^"]+)" class="map-commune"', page)
    assert len(links) == 47
    labels = dict(links)
    assert labels["94028"].startswith("Créteil : 1\u00a0234\u00a0kg")  # French numbers, the giver's commune
    assert labels["94081"].startswith("Vitry-sur-Seine : 10\u00a0kg")
    assert labels["94002"] == "Alfortville : 0\u00a0kg"
    assert page.count('<tr id="impact-map-') == 47
    assert "Licence Ouverte" in page and "/api/v1/impact/communes.geojson?from=2026-01-01&amp;to=2026-12-31" in page
    rows = response.context["map"]["rows"]
    assert [row["name"] for row in rows[:2]] == ["Créteil", "Vitry-sur-Seine"]  # most first


def test_the_map_follows_the_chosen_figure_and_side(viewer, records, association):
    association.commune = Commune.objects.get(insee="94046")  # Maisons-Alfort
    association.save()
    response = signed_in(viewer).get("/dashboard/?date_from=2026-01-01&date_to=2026-12-31&measure=items"
                                     "&side=receiver")
    labels = dict(re.findall(r'href="#impact-map-(\d{5})" aria-label="([^"]+)"', response.content.decode()))
    assert labels["94046"].startswith("Maisons-Alfort : 2 (")
    assert labels["94028"] == "Créteil : 5 (10\u00a0kg, 10\u00a0kg CO2e, 100\u00a0€)"  # the other association's
    bad = signed_in(viewer).get("/dashboard/?measure=drop&side=x")
    assert bad.status_code == 200 and bad.context["map_form"].cleaned_data == {"measure": "kg", "side": "giver"}


def test_the_needs_page_maps_open_needs(volunteer, association):
    NeedFactory(organisation=association, quantity=4)
    NeedFactory(organisation=association, quantity=2)
    NeedFactory(organisation=association, quantity=9, status="closed")
    page = signed_in(volunteer).get("/needs/").content.decode()

    labels = dict(re.findall(r'href="#needs-map-(\d{5})" aria-label="([^"]+)"', page))
    assert len(labels) == 47
    assert labels["94028"] == "Créteil : 2 (6 unités recherchées)"


#
# AGEC pages
#
@pytest.fixture
def public_world(giver):
    college = OrganisationFactory(name="Collège Voltaire", kind="school", siret="19940010000012")
    no_siret = OrganisationFactory(name="Mairie annexe", kind="other", legal_status="public_body")
    _record(giver, college, on=datetime.date(2025, 5, 1), quantity=3)
    _record(giver, no_siret, on=datetime.date(2025, 5, 2), quantity=1)
    return {"college": college, "no_siret": no_siret}


def test_the_agec_page_says_the_figures_are_estimates_until_the_grid_is_filled(viewer, manager, public_world):
    page = signed_in(viewer).get("/dashboard/agec/?year=2025").content.decode()
    assert "Estimations." in page and "valeurs de remplacement" in page
    assert "Collège Voltaire" in page and "19940010000012" in page
    assert "Mairie annexe" in page  # received donations, no SIRET: cannot be declared
    assert "/api/v1/impact/agec/?year=2025" in page

    response = signed_in(manager).post("/dashboard/agec/grid/", {
        "product_type": AgecProductType.FURNITURE, "unit_value_eur": "30", "source": "Arrêté, ligne 12",
        "reason": "Saisie initiale"})
    assert response.status_code == 302
    assert AgecFlatRate.objects.get().unit_value_eur == Decimal("30.00")
    page = signed_in(viewer).get("/dashboard/agec/?year=2025").content.decode()
    assert "Estimations." not in page and "90,00" in page  # 3 × 30


def test_a_viewer_reads_the_grid_but_may_not_change_it(viewer):
    assert signed_in(viewer).get("/dashboard/agec/grid/").status_code == 200
    response = signed_in(viewer).post("/dashboard/agec/grid/", {
        "product_type": AgecProductType.FURNITURE, "unit_value_eur": "30", "source": "x"})
    assert response.status_code == 403 and not AgecFlatRate.objects.exists()


def test_public_staff_see_their_rows_and_private_staff_are_refused(public_world):
    college_staff = member(public_world["college"], "staff")
    page = signed_in(college_staff).get("/dashboard/agec/?year=2025").content.decode()
    assert "Collège Voltaire" in page and "Mairie annexe" not in page
    association_staff = member(AssociationFactory(), "staff")
    assert signed_in(association_staff).get("/dashboard/agec/").status_code == 403


def test_a_manager_maps_a_category_to_a_product_type(manager):
    books = Category.objects.get(key="books")
    assert books.agec_product_type == ""  # seeded: not a declared type
    assert Category.objects.get(key="laptop").agec_product_type == AgecProductType.IT
    form = {"unit_weight_kg": "0.3", "weight_basis": "estimate", "unit_co2e_kg": "0.796", "co2e_basis": "derived",
            "unit_value_eur": "8", "value_basis": "estimate", "source": books.source, "note": books.note,
            "agec_product_type": AgecProductType.PAPER, "reason": "Livres scolaires"}
    assert signed_in(manager).post(f"/methodology/categories/{books.pk}/", form).status_code == 302
    books.refresh_from_db()
    assert books.agec_product_type == "Papier"
    assert books.history.first().history_change_reason == "Livres scolaires"


#
# Open data
#
def test_a_manager_publishes_the_open_data_and_the_switch_is_in_history(manager, viewer, client):
    assert client.get("/api/v1/open-data/datapackage.json").status_code == 401
    assert signed_in(viewer).post("/dashboard/open-data/switch/", {"published": "True"}).status_code == 403

    response = signed_in(manager).post("/dashboard/open-data/switch/", {"published": "True", "reason": "Vote du 3"})
    assert response.status_code == 302 and SiteSettings.current().open_data_published
    assert client.get("/api/v1/open-data/datapackage.json").status_code == 200
    signed_in(manager).post("/dashboard/open-data/switch/", {"published": "", "reason": "Erreur"})
    assert client.get("/api/v1/open-data/datapackage.json").status_code == 401

    page = signed_in(viewer).get("/dashboard/open-data/")
    assert [(entry.open_data_published, entry.history_change_reason) for entry in page.context["history"]] == [
        (False, "Erreur"), (True, "Vote du 3")]


#
# People helped
#
def test_the_receiver_answers_once_from_the_notification(workflow, volunteer, staff):
    reservation = workflow.to("delivered")
    notification = Notification.objects.get(user=volunteer, kind="feedback_requested")
    client = signed_in(volunteer)
    page = client.get("/notifications/").content.decode()
    assert f"/reservations/{reservation.pk}/feedback/" in page
    assert f'href="/reservations/{reservation.pk}/feedback/"' in client.get("/reservations/?tab=done").content.decode()

    bad = client.post(f"/reservations/{reservation.pk}/feedback/", {"people_helped": "-3"})
    assert bad.status_code == 200 and bad.context["form"].errors["people_helped"]
    response = client.post(f"/reservations/{reservation.pk}/feedback/", {
        "people_helped": "25", "beneficiary": "seniors", "comment": "Merci !", "consent_to_quote": "on"})
    assert response.status_code == 302
    answer = DeliveryFeedback.objects.get(reservation=reservation)
    assert (answer.people_helped, answer.beneficiary, answer.consent_to_quote, answer.given_by) == (
        25, "seniors", True, volunteer)
    notification.refresh_from_db()
    assert notification.read_at is not None
    again = client.get(f"/reservations/{reservation.pk}/feedback/")
    assert again.status_code == 302 and DeliveryFeedback.objects.count() == 1
    assert "25 personnes" in client.get("/reservations/?tab=done").content.decode()
    assert signed_in(staff).get(f"/reservations/{reservation.pk}/feedback/").status_code == 403


#
# The annual report
#
def test_the_report_counts_people_by_public_and_quotes_only_with_consent(viewer, records):
    response = signed_in(viewer).get("/dashboard/report/2026/")
    page = response.content.decode()

    assert response.context["kpis"]["people_helped"] == 52
    assert [(row["key"], row["people"]) for row in response.context["people_by_public"]] == [
        ("families", 40), ("seniors", 12)]
    assert "Nos résidents ont enfin des fauteuils confortables." in page
    assert "Ne pas citer ceci." not in page
    assert page.count('class="map-commune"') == 47
    assert 'href="/dashboard/report/2026/pdf/"' in page


def test_the_report_as_a_pdf_has_the_map_charts_people_and_method(viewer, records):
    response = signed_in(viewer).get("/dashboard/report/2026/pdf/")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="rebond-rapport-2026.pdf"'
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(page.extract_text() for page in reader.pages)
    flat = re.sub(r"\s+", " ", text)
    assert "rapport d’impact 2026" in flat
    assert "Personnes aidées" in flat and "52" in flat
    assert "Nos résidents ont enfin des fauteuils confortables." in flat and "Ne pas citer ceci." not in flat
    assert "Méthodologie" in flat
    # The map and the charts are SVG drawn by WeasyPrint: their own texts (the legend, the
    # attribution, the bars' figures) are in the PDF as text.
    assert "kg détournés" in flat and "Admin Express" in flat
    assert "1 234" in flat.replace("\u202f", " ").replace("\xa0", " ")
    assert len(reader.pages) >= 3


def test_only_members_get_a_report(client, db):
    assert client.get("/dashboard/report/2026/pdf/").status_code == 302
