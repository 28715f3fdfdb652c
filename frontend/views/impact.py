"""Impact pages: the dashboard, the printable annual report, the methodology and the factors.

Every figure comes from ``exchange.reports`` over the reader's scope from ``exchange.selectors``
(all for the département, their own organisations' records otherwise); the factors change
only through ``inventory.services.category_update_factors``.
"""

import datetime
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from exchange import charts, maps, reports, selectors
from exchange import permissions as exchange_permissions
from exchange.pdf import pdf_from_template
from inventory import permissions, services
from inventory.models import Category
from pooling import selectors as pooling_selectors

from .. import maps as page_maps
from ..forms import DateInput, FieldTemplateMixin, add_service_error

# The charts of the dashboard and the report: (id, group_by, title).
CHARTS = (
    ("by-category", "category", gettext_lazy("By category")),
    ("by-commune", "commune", gettext_lazy("By commune (giver's site)")),
    ("by-kind", "receiver_kind", gettext_lazy("By kind of receiving organisation")),
    ("by-beneficiary", "beneficiary", gettext_lazy("By beneficiary public")),
)


class PeriodForm(FieldTemplateMixin, forms.Form):
    date_from = forms.DateField(label=gettext_lazy("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, widget=DateInput())

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError(_("The end of the period is before its start."))
        return data


def presets(today: datetime.date) -> list[tuple[str, datetime.date, datetime.date]]:
    """The period picker's shortcuts."""
    try:
        year_ago = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        year_ago = today.replace(year=today.year - 1, day=28)
    return [
        (_("This year"), datetime.date(today.year, 1, 1), today),
        (_("Last year"), datetime.date(today.year - 1, 1, 1), datetime.date(today.year - 1, 12, 31)),
        (_("Last 12 months"), year_ago + datetime.timedelta(days=1), today),
    ]


def _period(request) -> tuple[PeriodForm, datetime.date | None, datetime.date | None]:
    """The period asked for, or this year; an invalid one shows its errors and this year."""
    today = timezone.localdate()
    default_from, default_to = datetime.date(today.year, 1, 1), today
    if "date_from" not in request.GET and "date_to" not in request.GET:
        form = PeriodForm(initial={"date_from": default_from, "date_to": default_to})
        return form, default_from, default_to
    form = PeriodForm(request.GET)
    if form.is_valid():
        return form, form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    return form, default_from, default_to


def _number(value) -> float:
    return float(value) if isinstance(value, Decimal) else value


def _chart(chart_id: str, title: str, summary: dict) -> dict:
    """A chart's data for the page's script (json_script) and its accessible table."""
    groups = summary["groups"]
    return {
        "id": chart_id,
        "title": title,
        "groups": groups,
        "totals": summary["totals"],
        "data": {
            "labels": [group["label"] for group in groups],
            "series": {
                "items": [group["items"] for group in groups],
                "kg": [_number(group["kg"]) for group in groups],
                "co2e_kg": [_number(group["co2e_kg"]) for group in groups],
                "value_eur": [_number(group["value_eur"]) for group in groups],
            },
            "legend": {"items": _("Units"), "kg": _("kg diverted"), "co2e_kg": _("kg CO2e avoided"),
                       "value_eur": _("EUR saved")},
        },
    }


class MapForm(FieldTemplateMixin, forms.Form):
    """What the dashboard's map shows (the period is the page's)."""

    measure = forms.ChoiceField(label=gettext_lazy("Figure"), choices=[
        (name, label) for name, (label, _decimals, _unit) in page_maps.MEASURES.items()])
    side = forms.ChoiceField(label=gettext_lazy("Commune of"), choices=list(page_maps.SIDES.items()))


def _map_choice(request) -> tuple[MapForm, str, str]:
    form = MapForm({"measure": request.GET.get("measure", "kg"), "side": request.GET.get("side", "giver")})
    if form.is_valid():
        return form, form.cleaned_data["measure"], form.cleaned_data["side"]
    return MapForm({"measure": "kg", "side": "giver"}), "kg", "giver"


def _months(user, date_from, date_to):
    """The reader's monthly roll-ups when the period is whole months, else None (the records)."""
    return reports.rolled_up(selectors.visible_impact_months(user), date_from, date_to)


def _figures(user, date_from, date_to) -> dict:
    """KPIs, the monthly trend and the charts of a period, for ``user``'s scope."""
    scope = selectors.visible_impact_records(user)
    records = reports.in_period(scope, date_from, date_to)
    months = _months(user, date_from, date_to)
    charts = [_chart("trend", _("Monthly trend"),
                     reports.impact_summary(records=records, group_by="month", months=months))]
    for chart_id, group_by, title in CHARTS:
        charts.append(_chart(chart_id, str(title),
                             reports.impact_summary(records=records, group_by=group_by, months=months)))
    sharing = reports.sharing_figures(bookings=pooling_selectors.visible_shared_uses(user),
                                      date_from=date_from, date_to=date_to)
    return {"kpis": _kpis(user, date_from, date_to), "charts": charts, "sharing": sharing}


def _kpis(user, date_from, date_to) -> dict:
    return reports.impact_kpis(
        records=selectors.visible_impact_records(user), items=selectors.impact_items(user),
        date_from=date_from, date_to=date_to,
    )


def _export_links(date_from, date_to) -> dict:
    query = {key: value.isoformat() for key, value in (("from", date_from), ("to", date_to)) if value}
    base = reverse("api:impact-export")
    return {fmt: f"{base}?{urlencode({**query, 'format': fmt})}" for fmt in ("csv", "xlsx")}


@login_required
@require_GET
def dashboard(request):
    """The département's dashboard; an organisation's members get their own figures, read only."""
    form, date_from, date_to = _period(request)
    is_department = permissions.is_department_member(request.user)
    context = {
        "form": form, "date_from": date_from, "date_to": date_to, "is_department": is_department,
        "query": urlencode({k: v.isoformat() for k, v in (("date_from", date_from), ("date_to", date_to)) if v}),
    }
    context["live_url"] = f"{reverse('dashboard')}?{context['query']}&part=kpis"
    if request.htmx and request.GET.get("part") == "kpis":
        # Live totals: only the KPI cards are re-read when an impact record is written.
        context["kpis"] = _kpis(request.user, date_from, date_to)
        return render(request, "frontend/impact/dashboard.html#kpis", context)
    today = timezone.localdate()
    context.update(_figures(request.user, date_from, date_to))
    context["presets"] = [
        (label, urlencode({"date_from": start.isoformat(), "date_to": end.isoformat()}))
        for label, start, end in presets(today)
    ]
    context["exports"] = _export_links(date_from, date_to)
    context["missed"] = reports.missed_pickups(pickups=selectors.reportable_pickups(request.user),
                                               date_from=date_from, date_to=date_to)
    context["missed_tables"] = [(_("Per giver"), context["missed"]["by_giver"]),
                                (_("Per association"), context["missed"]["by_association"])]
    context["report_years"] = range(today.year, today.year - 4, -1)
    map_form, measure, side = _map_choice(request)
    records = reports.in_period(selectors.visible_impact_records(request.user), date_from, date_to)
    context["map_form"] = map_form
    context["map"] = page_maps.impact_map(reports.impact_by_commune(
        records=records, side=side, months=_months(request.user, date_from, date_to)),
                                          measure=measure, side=side)
    context["geojson_links"] = [(_("GeoJSON for QGIS"), _geojson_link(date_from, date_to, side))]
    context["can_download_agec"] = exchange_permissions.can_download_agec(request.user)
    context["late_bookings"] = list(pooling_selectors.late_bookings(request.user, today).order_by("end")[:50])
    return render(request, "frontend/impact/dashboard.html", context)


def _geojson_link(date_from, date_to, side: str) -> str:
    query = {key: value.isoformat() for key, value in (("from", date_from), ("to", date_to)) if value}
    return f"{reverse('api:impact-communes')}?{urlencode({**query, 'side': side})}"


def _report_context(request, year: int) -> dict:
    if not 2000 <= year <= 2100:
        raise Http404
    date_from, date_to = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    records = reports.in_period(selectors.visible_impact_records(request.user), date_from, date_to)
    return {
        "year": year, "date_from": date_from, "date_to": date_to,
        "is_department": permissions.is_department_member(request.user),
        **_figures(request.user, date_from, date_to),
        **_methodology_context(),
        "people_by_public": reports.people_by_public(records),
        "quotes": reports.quotes(records),
        "by_commune": reports.impact_by_commune(
            records=records, side="giver", months=_months(request.user, date_from, date_to)),
    }


@login_required
@require_GET
def annual_report(request, year: int):
    """A printable report of one calendar year: KPIs, the map, charts, tables, what the
    receivers said and the methodology; the same as a PDF (``annual_report_pdf``)."""
    context = _report_context(request, year)
    context["map"] = page_maps.impact_map(context["by_commune"], measure="kg", side="giver")
    return render(request, "frontend/impact/report.html", context)


@login_required
@require_GET
def annual_report_pdf(request, year: int):
    """The annual report as a PDF to attach to a deliberation (WeasyPrint, tagged PDF/UA, which runs no
    JavaScript: the map and the charts are server-side SVG)."""
    context = _report_context(request, year)
    context["map"] = page_maps.impact_map(context["by_commune"], measure="kg", side="giver", interactive=False)
    context["map_image"] = maps.data_url(str(context["map"]["svg"]))
    for chart in context["charts"]:
        series = "kg" if chart["id"] == "trend" else "co2e_kg" if chart["id"] == "by-category" else "items"
        chart["image"] = maps.data_url(str(charts.bar_chart_svg(
            labels=chart["data"]["labels"], values=chart["data"]["series"][series],
            title=f'{chart["title"]} ({chart["data"]["legend"][series]})',
            number=lambda value: page_maps.number(value, 0),
        ))) if chart["groups"] else ""
    context["generated"] = timezone.localtime()
    pdf = pdf_from_template("frontend/impact/report_pdf.html", context)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="rebond-rapport-{year}.pdf"'
    return response


def _methodology_context() -> dict:
    # Each group row, then its sub-categories.
    categories = (
        Category.objects.select_related("parent")
        .annotate(group=Coalesce("parent__name_fr", "name_fr"))
        .order_by("group", F("parent").asc(nulls_first=True), "name_fr")
    )
    return {"categories": categories}


@login_required
@require_GET
def methodology(request):
    """How every figure is computed, the factor table and its limits."""
    context = {**_methodology_context(), "can_edit": permissions.is_department_manager(request.user)}
    return render(request, "frontend/impact/methodology.html", context)


class FactorsForm(FieldTemplateMixin, forms.ModelForm):
    reason = forms.CharField(
        label=gettext_lazy("Why this change"), required=False, max_length=100,  # the history's column
        help_text=gettext_lazy("Kept in the category's history."),
    )

    class Meta:
        model = Category
        fields = services.FACTOR_FIELDS


@login_required
@require_http_methods(["GET", "POST"])
def category_factors(request, pk: int):
    """A département manager edits one category's factors; the history lists every change."""
    if not permissions.is_department_manager(request.user):
        raise PermissionDenied
    category = get_object_or_404(Category, pk=pk)
    # The form validates a copy: the service locks and saves the row itself.
    form = FactorsForm(request.POST or None, instance=Category.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in services.FACTOR_FIELDS}
        try:
            services.category_update_factors(
                actor=request.user, category=category, reason=form.cleaned_data["reason"], **fields,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Factors saved. Records written from now on use them."))
            return redirect("category_factors", pk=category.pk)
    history = category.history.select_related("history_user").order_by("-history_date")[:50]
    return render(request, "frontend/impact/factors.html", {"category": category, "form": form, "history": history})
