"""Impact pages: dashboard, annual report, methodology and the factors form."""

import datetime
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from exchange.models import ImpactRecord, Reservation
from inventory.models import Category
from tests.clock import in_mid_2026
from tests.factories import AssociationFactory, ItemFactory, OrganisationFactory

from .conftest import signed_in

pytestmark = in_mid_2026

DAY = datetime.date(2026, 3, 5)
PERIOD = "date_from=2026-01-01&date_to=2026-12-31"


def _record(giver, receiver, *, kg="1234.500", quantity=2, on=DAY, category="office-chair"):
    category = Category.objects.get(key=category)
    item = ItemFactory(owner=giver, category=category, quantity=quantity, status="gone")
    reservation = Reservation.objects.create(item=item, requester=receiver, quantity=quantity, status="delivered")
    return ImpactRecord.objects.create(
        reservation=reservation, kind="donation", date=on, quantity=quantity, kg=Decimal(kg),
        co2e_kg=Decimal("10"), value_eur=Decimal("100"), category=category, giver=giver, receiver=receiver,
        commune=giver.commune, giver_kind=giver.kind, receiver_kind=receiver.kind, unit_weight_kg=Decimal("1"),
        unit_co2e_kg=Decimal("1"), unit_value_eur=Decimal("1"),
    )


@pytest.fixture
def records(giver, association):
    other = OrganisationFactory(name="Collège Voltaire", kind="school")
    return [_record(giver, association), _record(other, AssociationFactory(), kg="10.000", quantity=5)]


@pytest.mark.parametrize("url", ["/dashboard/", "/dashboard/report/2026/", "/methodology/",
                                 "/methodology/categories/1/"])
def test_anonymous_goes_to_the_login_page(client, db, url):
    response = client.get(url)

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_department_sees_everything(viewer, records):
    response = signed_in(viewer).get(f"/dashboard/?{PERIOD}")

    assert response.status_code == 200
    assert response.context["kpis"]["items_reused"] == 7
    assert response.context["kpis"]["givers"] == 2
    page = response.content.decode()
    assert "1\xa0245" in page  # 1 234,5 kg + 10 kg = 1 244,5: French grouping, rounded on the card
    assert "Figures of your organisations only" not in page


def test_an_organisation_member_sees_its_own_figures_read_only(staff, records):
    response = signed_in(staff).get(f"/dashboard/?{PERIOD}", HTTP_ACCEPT_LANGUAGE="en")

    assert response.context["kpis"]["items_reused"] == 2 and response.context["kpis"]["givers"] == 1
    page = response.content.decode()
    assert "Figures of your organisations only" in page
    assert "Collège Voltaire" not in page


def test_charts_get_their_data_and_a_table(viewer, records):
    response = signed_in(viewer).get(f"/dashboard/?{PERIOD}")
    page = response.content.decode()

    for chart_id in ("trend", "by-category", "by-commune", "by-kind", "by-beneficiary"):
        assert f'id="{chart_id}-canvas"' in page
        assert f'<script id="{chart_id}-data" type="application/json">' in page
    trend = next(chart for chart in response.context["charts"] if chart["id"] == "trend")
    assert trend["data"]["series"]["kg"] == [1244.5]
    assert page.count("<table") == 5
    assert 'src="/static/frontend/vendor/chart-4.6.1.umd.min.js"' in page


def test_period_presets_and_an_empty_period(viewer, records):
    client = signed_in(viewer)

    empty = client.get("/dashboard/?date_from=2025-01-01&date_to=2025-12-31", HTTP_ACCEPT_LANGUAGE="en")
    assert empty.context["kpis"]["items_reused"] == 0 and empty.context["kpis"]["median_days"] is None
    assert empty.content.decode().count("Nothing recorded in this period.") == 5
    default = client.get("/dashboard/")
    labels = [label for label, _query in default.context["presets"]]
    assert len(labels) == 3
    bad = client.get("/dashboard/?date_from=2026-05-01&date_to=2026-01-01")
    assert bad.status_code == 200 and bad.context["form"].errors
    garbage = client.get("/dashboard/?date_from=yesterday")
    assert garbage.status_code == 200 and garbage.context["form"].errors


def test_export_links_carry_the_period(viewer, records):
    response = signed_in(viewer).get(f"/dashboard/?{PERIOD}")

    assert response.context["exports"]["csv"] == "/api/v1/impact/export/?from=2026-01-01&to=2026-12-31&format=csv"
    export = signed_in(viewer).get(response.context["exports"]["xlsx"])
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxml")


def test_live_totals_are_a_fragment(viewer, records):
    response = signed_in(viewer).get(f"/dashboard/?{PERIOD}&part=kpis", HTTP_HX_REQUEST="true")
    page = response.content.decode()

    assert page.lstrip().startswith('<section id="kpis"')
    assert 'hx-trigger="rebond:impact.recorded from:body"' in page
    assert "<html" not in page


def test_the_dashboard_reads_in_constant_queries(viewer, giver, association):
    client = signed_in(viewer)
    _record(giver, association)
    client.get(f"/dashboard/?{PERIOD}")
    with CaptureQueriesContext(connection) as few:
        client.get(f"/dashboard/?{PERIOD}")
    for n in range(12):
        _record(OrganisationFactory(), AssociationFactory(), on=DAY.replace(month=1 + n), category="bed")
    with CaptureQueriesContext(connection) as many:
        client.get(f"/dashboard/?{PERIOD}")

    assert len(many) == len(few)


def test_annual_report_is_printable(viewer, records):
    response = signed_in(viewer).get("/dashboard/report/2026/")
    page = response.content.decode()

    assert response.context["kpis"]["items_reused"] == 7
    assert "frontend/impact-print.css" in page and 'id="methodology-title"' in page
    assert signed_in(viewer).get("/dashboard/report/1900/").status_code == 404


def test_print_stylesheet_is_a4():
    from django.contrib.staticfiles import finders

    css = open(finders.find("frontend/impact-print.css"), encoding="utf-8").read()
    assert "@page { size: A4;" in css


def test_methodology_shows_the_factors_and_marks_estimates(staff, db):
    response = signed_in(staff).get("/methodology/", HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()

    assert "Past records keep the factors they were computed with." in page
    assert 'class="basis basis-estimate"' in page and 'class="basis basis-sourced"' in page
    assert "WRAP, Benefits of Reuse" in page  # a source from data/impact_factors.csv
    assert "/methodology/categories/" not in page  # no edit link for a non-manager


def test_only_managers_edit_factors(staff, viewer, db):
    chair = Category.objects.get(key="office-chair")
    for user in (staff, viewer):
        client = signed_in(user)
        assert client.get(f"/methodology/categories/{chair.pk}/").status_code == 403
        assert client.post(f"/methodology/categories/{chair.pk}/", {"unit_weight_kg": "1"}).status_code == 403
    chair.refresh_from_db()
    assert chair.unit_weight_kg == Decimal("11.9")


def test_a_manager_edits_factors_with_history(manager):
    chair = Category.objects.get(key="office-chair")
    client = signed_in(manager)
    assert "/methodology/categories/" in client.get("/methodology/").content.decode()

    response = client.post(f"/methodology/categories/{chair.pk}/", {
        "unit_weight_kg": "12.5", "weight_basis": "sourced", "unit_co2e_kg": "35.7", "co2e_basis": "derived",
        "unit_value_eur": "150", "value_basis": "estimate", "source": "New study (2026)", "note": "",
        "reason": "Weighed 20 chairs",
    }, follow=True)

    chair.refresh_from_db()
    assert chair.unit_weight_kg == Decimal("12.5") and chair.source == "New study (2026)"
    latest = chair.history.first()
    assert latest.history_user == manager and latest.history_change_reason == "Weighed 20 chairs"
    assert "Weighed 20 chairs" in response.content.decode()


def test_a_bad_factor_is_shown_not_saved(manager):
    chair = Category.objects.get(key="office-chair")

    response = signed_in(manager).post(f"/methodology/categories/{chair.pk}/", {"unit_weight_kg": "-3"})

    assert response.status_code == 200 and response.context["form"].errors
    chair.refresh_from_db()
    assert chair.unit_weight_kg == Decimal("11.9")


def test_the_navigation_links_the_dashboard(staff, viewer):
    for user in (staff, viewer):
        assert 'href="/dashboard/"' in signed_in(user).get("/").content.decode()


def test_json_script_is_not_executable(viewer, records):
    page = signed_in(viewer).get(f"/dashboard/?{PERIOD}").content.decode()
    start = page.index('<script id="by-category-data" type="application/json">') + len(
        '<script id="by-category-data" type="application/json">')
    data = json.loads(page[start:page.index("</script>", start)])
    assert data["labels"] == ["Chaise / fauteuil de bureau"]


def test_factors_are_shown_without_trailing_zeros(staff, db):
    page = signed_in(staff).get("/methodology/").content.decode()

    assert ">11,9 <span" in page  # office chair, 11.900 kg
    assert "11,900" not in page
    assert page.index("Mobilier</th>") < page.index("Mobilier › Armoire")  # group row, then its children


def test_presets_handle_the_29th_of_february():
    from frontend.views.impact import presets

    this_year, last_year, last_12 = presets(datetime.date(2028, 2, 29))
    assert this_year[1:] == (datetime.date(2028, 1, 1), datetime.date(2028, 2, 29))
    assert last_year[1:] == (datetime.date(2027, 1, 1), datetime.date(2027, 12, 31))
    assert last_12[1:] == (datetime.date(2027, 3, 1), datetime.date(2028, 2, 29))
