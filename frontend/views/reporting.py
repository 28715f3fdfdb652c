"""The département's reporting pages: the AGEC declaration and its value grid, the open-data
package and its publication switch, and the receivers' answer to "whom did it help?".

Figures come from ``exchange.agec`` / ``exchange.opendata`` / ``exchange.reports``; writes go
through ``exchange.services`` and ``inventory.services``; who may is ``exchange.permissions``.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from exchange import agec, selectors, services
from exchange import permissions as exchange_permissions
from exchange.models import AgecFlatRate
from inventory import permissions
from inventory import services as inventory_services
from inventory.errors import WorkflowError
from inventory.models import AgecProductType, Category, SiteSettings

from ..forms import AgecFlatRateForm, FeedbackForm, OpenDataPublicationForm, add_service_error


#
# AGEC article 58
#
def _year(request) -> int:
    last_year = timezone.localdate().year - 1
    try:
        year = int(request.GET.get("year", last_year))
    except ValueError:
        return last_year
    return year if 2020 <= year <= timezone.localdate().year else last_year


@login_required
@require_GET
def agec_declaration(request):
    """The yearly declaration's rows the reader may download, how they were valued, and for
    the département the public bodies that have none or cannot be declared."""
    declarants = exchange_permissions.agec_declarants(request.user)
    if declarants is not None and not declarants.exists():
        raise PermissionDenied(_("This page is for the staff of public bodies and the département."))
    year = _year(request)
    declaration = agec.declaration(year=year, declarants=declarants)
    this_year = timezone.localdate().year
    return render(request, "frontend/reporting/agec.html", {
        "year": year, "years": range(this_year, 2019, -1), "declaration": declaration,
        "is_department": declarants is None,
        "download_url": f"{reverse('api:impact-agec')}?{urlencode({'year': year})}",
        "can_edit_grid": exchange_permissions.can_edit_agec_grid(request.user),
        "deadline": datetime.date(year + 1, 6, 30),
    })


@login_required
@require_http_methods(["GET", "POST"])
def agec_grid(request):
    """The département's flat-rate value grid: read by its members, entered and corrected by
    its managers, each change in the grid's history."""
    if not permissions.is_department_member(request.user):
        raise PermissionDenied(_("This page is for the département's members."))
    can_edit = exchange_permissions.can_edit_agec_grid(request.user)
    form = AgecFlatRateForm(request.POST or None, initial={"product_type": request.GET.get("type", "")})
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(_("Only the département's managers may change the AGEC value grid."))
        if form.is_valid():
            try:
                services.agec_flat_rate_set(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("Value saved: the declarations use it from now on."))
                return redirect("agec_grid")
    rates = {rate.product_type: rate for rate in AgecFlatRate.objects.select_related("updated_by")}
    mapped = {}
    for category in Category.objects.exclude(agec_product_type="").order_by("name_fr"):
        mapped.setdefault(category.agec_product_type, []).append(category)
    lines = [{"type": value, "label": label, "rate": rates.get(value), "categories": mapped.get(value, [])}
             for value, label in AgecProductType.choices]
    history = AgecFlatRate.history.select_related("history_user").order_by("-history_date")[:50]
    return render(request, "frontend/reporting/agec_grid.html", {
        "lines": lines, "form": form, "can_edit": can_edit, "history": history,
        "unmapped": Category.objects.filter(agec_product_type="").order_by("name_fr"),
    })


#
# Open data
#
@login_required
@require_GET
def open_data(request):
    """The package's addresses, whether it is public, and the history of that switch."""
    if not permissions.is_department_member(request.user):
        raise PermissionDenied(_("This page is for the département's members."))
    current = SiteSettings.current()
    history = []
    row = SiteSettings.objects.order_by("pk").first()
    if row is not None:
        previous = None
        for entry in row.history.select_related("history_user").order_by("history_date"):
            if previous is None or entry.open_data_published != previous:
                history.append(entry)
            previous = entry.open_data_published
        history.reverse()
    return render(request, "frontend/reporting/open_data.html", {
        "published": current.open_data_published, "history": history,
        "can_switch": permissions.is_department_manager(request.user),
        "form": OpenDataPublicationForm(initial={"published": not current.open_data_published}),
        "descriptor_url": request.build_absolute_uri(reverse("api:open-data")),
        "resources": [request.build_absolute_uri(reverse("api:open-data-resource", args=[name]))
                      for name in ("impact-monthly", "categories")],
    })


@login_required
@require_POST
def open_data_switch(request):
    form = OpenDataPublicationForm(request.POST)
    if not form.is_valid():
        return redirect("open_data")
    published = form.cleaned_data["published"]
    inventory_services.site_settings_publish_open_data(
        actor=request.user, published=published, reason=form.cleaned_data["reason"])
    messages.success(request, _("The open data is public now.") if published
                     else _("The open data is for the département's members only now."))
    return redirect("open_data")


#
# People helped
#
@login_required
@require_http_methods(["GET", "POST"])
def reservation_feedback(request, pk: int):
    """The receiving side says, once, whom a delivered claim helped."""
    reservation = get_object_or_404(
        selectors.visible_reservations(request.user).select_related("item__owner", "requester", "need"), pk=pk)
    refusal = exchange_permissions.feedback_refusal(request.user, reservation)
    if refusal is not None:
        raise refusal
    if selectors.has_feedback(reservation):
        messages.info(request, _("Whom this delivery helped has already been told. Thank you!"))
        return redirect(f"{reverse('my_reservations')}?tab=done")
    if reservation.status not in selectors.FEEDBACK_STATUSES:
        raise Http404
    initial = {"beneficiary": reservation.need.beneficiary if reservation.need_id else ""}
    form = FeedbackForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.reservation_feedback_give(actor=request.user, reservation=reservation, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        except WorkflowError as error:
            messages.error(request, error.message)
            return redirect(f"{reverse('my_reservations')}?tab=done")
        else:
            messages.success(request, _("Thank you! The département counts it in its reports."))
            return redirect(f"{reverse('my_reservations')}?tab=done")
    return render(request, "frontend/reporting/feedback.html", {"reservation": reservation, "form": form})
