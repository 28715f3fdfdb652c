"""Claims, reservations, pickups, the coordinator's planner, needs and notifications.

The pages read through ``exchange.selectors`` and the permission predicates and write only
through ``exchange.services``; a refusal (``WorkflowError``) becomes a message on the page.
"""

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from exchange import calendar as exchange_calendar
from exchange import eligibility, exports, selectors, services, transfers
from exchange import notifications as exchange_notifications
from exchange import permissions as exchange_permissions
from exchange.models import (
    Beneficiary,
    Need,
    Notification,
    NotificationPreference,
    PersonalSettings,
    Pickup,
    Reservation,
    Tour,
    TransferRecord,
    Vehicle,
)
from exchange.tours import CARRIED, reservation_load, tour_plan
from inventory import permissions
from inventory.errors import WorkflowError
from inventory.models import Category, Item, Membership

from .. import daymap
from .. import maps as page_maps
from ..forms import (
    ClaimForm,
    DayPlanForm,
    HandoverCodeForm,
    InventoryExitsForm,
    NeedForm,
    PickupForm,
    ReasonForm,
    TourForm,
    VehicleForm,
    VolunteersForm,
    add_service_error,
    pickup_label,
)
from .core import run_service

Role = Membership.Role
Status = Reservation.Status


def _back(request, default: str) -> str:
    """Where to go after an action: the page it came from (same site only) or ``default``."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def _form_errors_to_messages(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _day(request) -> date:
    """The day asked for (``?date=``), or today; days outside 2000–2100 are not plans."""
    try:
        day = date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return timezone.localdate()
    return day if 2000 <= day.year <= 2100 else timezone.localdate()


def _reservations(user):
    return selectors.visible_reservations(user).select_related(
        "item__owner__commune", "item__category", "requester", "pickup", "need", "feedback",
    ).prefetch_related(Prefetch("transfer_records", queryset=TransferRecord.objects.order_by("-version")))


#
# Transfer records and the accountant's export
#
@login_required
@require_GET
def transfer_record_download(request, pk):
    """A transfer record's PDF, for both parties and the département (404 for anyone else)."""
    record = get_object_or_404(TransferRecord.objects.select_related("reservation__item"), pk=pk)
    if not exchange_permissions.can_view_transfer_record(request.user, record.reservation):
        raise Http404
    response = FileResponse(record.pdf.open("rb"), content_type="application/pdf", as_attachment=True,
                            filename=f"{record.number}.pdf")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def inventory_exits_export(request):
    """CSV of a giver's inventory exits over a period (``?giver=&start=&end=``), for its accountant."""
    form = InventoryExitsForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(" ".join(" ".join(errors) for errors in form.errors.values()))
    giver, start, end = form.cleaned_data["giver"], form.cleaned_data["start"], form.cleaned_data["end"]
    if not exchange_permissions.can_export_inventory_exits(request.user, giver):
        raise PermissionDenied(_("Only the giver's staff and the département may export its inventory exits."))
    return exports.inventory_exits_export(
        transfers.inventory_exits(giver_id=giver.pk, start=start, end=end),
        filename=f"sorties-inventaire-{giver.pk}-{start}-{end}.csv",
    )


#
# Claiming (on the item's page)
#
def _claim_form(request, item, data=None):
    organisations = permissions.claiming_organisations(request.user).exclude(pk=item.owner_id)
    if not item.is_claimable(on=timezone.localdate()) or item.quantity_available < 1:
        return None
    if not organisations.exists():
        return None
    needs = Need.objects.filter(organisation__in=organisations, status=Need.Status.OPEN).select_related("category")
    return ClaimForm(data, item=item, organisations=organisations, needs=needs,
                     mode_choices=list(Reservation.Mode.choices))


def claim_context(request, item) -> dict:
    """What the item's page needs to offer a claim (the user's claims on it, and for the
    giver's staff every claim on it, with the handover code where the rule allows)."""
    item_claims = []
    if permissions.can_manage_item(request.user, item):
        item_claims = list(_reservations(request.user).filter(item=item).order_by("-created_at"))
        _decorate(request.user, item_claims)
    # Why the user's organisations may not claim it (medical aid, internal-first window, the
    # property code's transfer rules): shown instead of a claim that would be refused.
    claim_refusals = []
    if item.is_claimable(on=timezone.localdate()):
        for organisation in permissions.claiming_organisations(request.user).exclude(pk=item.owner_id):
            refusal = eligibility.claim_refusal(item=item, receiver=organisation)
            if refusal is not None:
                claim_refusals.append({"organisation": organisation, "code": refusal.code, "message": refusal.message})
    return {
        "item_claims": item_claims,
        "claim_refusals": claim_refusals,
        "claim_form": _claim_form(request, item),
        "my_claims": _reservations(request.user).filter(
            item=item, requester__in=permissions.claiming_organisations(request.user)
        ),
    }


@login_required
@require_POST
def claim_create(request, pk):
    item = get_object_or_404(permissions.visible_items(request.user).select_related("owner", "category"), pk=pk)
    form = _claim_form(request, item, request.POST)
    if form is not None and form.is_valid():
        data = form.cleaned_data
        try:
            services.reservation_create(
                actor=request.user, item=item, requester=form.chosen_organisation(), quantity=data["quantity"],
                mode=data["mode"], return_by=data["return_by"], purpose=data["purpose"], need=data["need"],
            )
        except WorkflowError as error:
            form.add_error(None, error.message)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Your claim on “%(title)s” was sent to %(giver)s.")
                             % {"title": item.title, "giver": item.owner})
            return redirect("my_reservations")
    if form is None:
        messages.error(request, _("This item cannot be claimed."))
        return redirect("item_detail", pk=item.pk)
    from .catalogue import _with_photos

    item = _with_photos(Item.objects).get(pk=item.pk)
    return render(request, "frontend/catalogue/detail.html", {
        "item": item, "claim_form": form, "can_manage": False, "my_claims": [],
    }, status=400)


#
# Reservations: mine (requester side) and those on my items (giver side)
#
STATUS_TABS = [
    ("active", (Status.REQUESTED, Status.APPROVED, Status.SCHEDULED, Status.COLLECTED)),
    ("done", (Status.DELIVERED, Status.RETURNED)),
    ("closed", (Status.DECLINED, Status.CANCELLED, Status.EXPIRED)),
]


def _tabs(request, reservations):
    labels = {"active": _("In progress"), "done": _("Delivered"), "closed": _("Closed")}
    counts = dict(reservations.values_list("status").annotate(n=Count("pk")).order_by())
    current = request.GET.get("tab", "active")
    if current not in labels:
        current = "active"
    tabs = [(key, labels[key], sum(counts.get(s, 0) for s in statuses)) for key, statuses in STATUS_TABS]
    statuses = dict(STATUS_TABS)[current]
    shown = list(reservations.filter(status__in=statuses))
    _decorate(request.user, shown)
    return tabs, current, shown


def _decorate(user, reservations) -> None:
    """Sets on each reservation what the page shows: ``actions`` (its buttons, exactly
    ``selectors.reservation_actions``) and ``show_code`` (the giver's staff see a live code).
    The user's memberships are read once for the list."""
    roles = permissions.Roles(user)
    givers = selectors.handover_code_givers(user)
    for reservation in reservations:
        reservation.actions = selectors.reservation_actions(user, reservation, roles)
        reservation.show_code = reservation.code_is_live and selectors.can_see_handover_code(
            user, reservation, givers)
        reservation.feedback_pending = selectors.feedback_pending(user, reservation, roles)


@login_required
def my_reservations(request):
    organisations = permissions.claiming_organisations(request.user)
    reservations = _reservations(request.user).filter(requester__in=organisations)
    tabs, current, shown = _tabs(request, reservations)
    return render(request, "frontend/exchange/my_reservations.html", {
        "tabs": tabs, "tab": current, "reservations": shown,
    })


@login_required
def claims_on_my_items(request):
    organisations = permissions.organisations_of(request.user, Role.STAFF)
    if not organisations.exists():
        raise PermissionDenied(_("This page is for the staff of a giving organisation."))
    reservations = _reservations(request.user).filter(item__owner__in=organisations)
    tabs, current, shown = _tabs(request, reservations)
    today = timezone.localdate()
    exits_form = InventoryExitsForm(initial={"start": today.replace(day=1), "end": today})
    exits_form.fields["giver"].queryset = organisations
    exits_form.fields["giver"].initial = organisations.first()
    return render(request, "frontend/exchange/claims.html", {
        "tabs": tabs, "tab": current, "reservations": shown, "reason_form": ReasonForm(),
        "exits_form": exits_form,
    })


ACTIONS = {
    "approve": (lambda actor, r, post: services.reservation_approve(actor=actor, reservation=r),
                lambda r: _("Claim approved: give the handover code %(code)s to the volunteer.") % {
                    "code": r.handover_code}),
    "decline": (lambda actor, r, post: services.reservation_decline(
                    actor=actor, reservation=r, reason=post.get("reason", "")),
                lambda r: _("Claim declined.")),
    "cancel": (lambda actor, r, post: services.reservation_cancel(
                   actor=actor, reservation=r, reason=post.get("reason", "")),
               lambda r: _("Claim cancelled.")),
    "collect": (lambda actor, r, post: services.reservation_collect(
                    actor=actor, reservation=r, handover_code=post.get("handover_code", ""),
                    signature=post.get("signature") or None, weight_kg=post.get("weight_kg") or None),
                lambda r: _("Collected: take it to %(org)s and confirm the delivery.") % {"org": r.requester}),
    "deliver": (lambda actor, r, post: services.reservation_deliver(actor=actor, reservation=r),
                lambda r: _("Delivered. Thank you!")),
    "return": (lambda actor, r, post: services.reservation_return(actor=actor, reservation=r),
               lambda r: _("Return recorded.")),
    "refurbishment": (lambda actor, r, post: services.reservation_record_refurbishment(
                          actor=actor, reservation=r, notes=post.get("notes", "")),
                      lambda r: _("Refurbishment recorded.")),
}


@login_required
@require_POST
def reservation_action(request, pk, action):
    if action not in ACTIONS:
        raise Http404
    reservation = get_object_or_404(_reservations(request.user), pk=pk)
    call, success = ACTIONS[action]
    if action == "collect":
        form = HandoverCodeForm(request.POST)
        if not form.is_valid():
            for error in [*form.errors.get("handover_code", []), *form.errors.get("signature", []),
                          *form.errors.get("weight_kg", [])]:
                messages.error(request, error)
            return redirect(_back(request, reverse("my_pickups")))
    try:
        reservation = call(request.user, reservation, request.POST)
    except WorkflowError as error:
        messages.error(request, error.message)
    except ValidationError as error:
        _form_errors_to_messages(request, error)
    else:
        messages.success(request, success(reservation))
    return redirect(_back(request, reverse("my_reservations")))


#
# Volunteer: my pickups of the day
#
def _pickups(user):
    return selectors.visible_pickups(user).select_related("giver__commune", "organisation", "tour").prefetch_related(
        "volunteers",
        Prefetch("reservations", queryset=Reservation.objects.select_related("item__category", "requester")),
    )


@login_required
def my_pickups(request):
    day = _day(request)
    coordinated = permissions.organisations_of(request.user, Role.COORDINATOR)
    pickups = (
        _pickups(request.user)
        .filter(Q(volunteers=request.user) | Q(organisation__in=coordinated))
        .filter(window_start__date=day)
        .distinct()
        .order_by("tour", "position", "window_start")
    )
    pickups = list(pickups)
    _decorate(request.user, [reservation for pickup in pickups for reservation in pickup.reservations.all()])
    planned = [pickup for pickup in pickups if pickup.status == Pickup.Status.PLANNED]
    response = render(request, "frontend/exchange/my_pickups.html", {
        "day": day, "pickups": pickups, "to_do": len(planned),
        # The next stop to make is open (and linked from the top); the others fold to one line each.
        "next_stop": planned[0] if planned else None,
        "next_stop_number": pickups.index(planned[0]) + 1 if planned else None,
        "is_today": "date" not in request.GET, "today": timezone.localdate(),
        "previous_day": day - timedelta(days=1), "next_day": day + timedelta(days=1),
    })
    # The service worker keeps this page on the phone under its day too (frontend/static/frontend/rebond-sw.js).
    response["X-Rebond-Day"] = day.isoformat()
    return response


#
# Coordinator: the association's claims and the day planner
#
def _coordinated(request):
    organisations = list(permissions.organisations_of(request.user, Role.COORDINATOR))
    if not organisations:
        raise PermissionDenied(_("This page is for the coordinators of an association."))
    chosen = request.GET.get("org") or request.POST.get("org")
    for organisation in organisations:
        if str(organisation.pk) == chosen:
            return organisation, organisations
    return organisations[0], organisations


@login_required
def association_claims(request):
    """The association's claims waiting on a giver's answer, and those approved to plan."""
    association, organisations = _coordinated(request)
    reservations = _reservations(request.user).filter(requester=association)
    requested = list(reservations.filter(status=Status.REQUESTED))
    approved = list(reservations.filter(status=Status.APPROVED))
    _decorate(request.user, requested + approved)
    return render(request, "frontend/exchange/association_claims.html", {
        "association": association, "organisations": organisations, "requested": requested, "approved": approved,
    })


def _association_members(association):
    return get_user_model().objects.filter(
        memberships__organisation=association, memberships__role__in=(Role.VOLUNTEER, Role.COORDINATOR),
    ).distinct().order_by("first_name", "username")


def _aware(day: date, time) -> datetime:
    return timezone.make_aware(datetime.combine(day, time))


def _day_tours(request, association, day):
    """The day's tours with their ordered stops (pickups with giver, volunteers, claims)."""
    pickups = list(_pickups(request.user).filter(organisation=association, window_start__date=day)
                   .order_by("tour", "position", "window_start"))
    tours = list(Tour.objects.filter(organisation=association, date=day)
                 .select_related("organisation__commune", "vehicle").prefetch_related("volunteers").order_by("pk"))
    plans = []
    for tour in tours:
        tour.label = tour.vehicle_name or _("Tour #%(id)s") % {"id": tour.pk}
        stops = [p for p in pickups if p.tour_id == tour.pk]
        plan = tour_plan(tour, stops)
        on_board = Decimal("0")
        for stop in plan.stops:
            stop.kg = sum((reservation_load(r)[0] for r in stop.pickup.reservations.all()
                           if r.status in CARRIED), Decimal("0"))
            on_board += stop.kg
            stop.on_board = on_board
        plans.append((tour, plan))
    return pickups, plans


def _day_map(association, plans, loose):
    def stop_of(pickup):
        return (str(pickup.giver), f"stop-{pickup.pk}", pickup.giver.location)

    return daymap.day_map(
        depot=association.location, depot_name=association.name,
        tours=[(tour.label, [stop_of(s.pickup) for s in plan.stops]) for tour, plan in plans],
        loose=[stop_of(p) for p in loose],
    )


def _plan_form(request, association, day, data=None):
    members = _association_members(association)
    approved = _reservations(request.user).filter(requester=association, status=Status.APPROVED)
    groups = defaultdict(list)
    for reservation in approved.order_by("item__owner__name", "pk"):
        groups[reservation.item.owner].append(reservation)
    for giver, rows in groups.items():
        giver.claims = rows
        giver.load_kg = sum((reservation_load(r)[0] for r in rows), Decimal("0"))
    loose = Pickup.objects.filter(organisation=association, tour__isnull=True, status=Pickup.Status.PLANNED,
                                  window_start__date=day).select_related("giver__commune")
    vehicles = Vehicle.objects.filter(organisation=association, is_active=True)
    form = DayPlanForm(data, vehicles=vehicles, pickups=loose, givers=list(groups), members=members,
                       initial={"vehicles": list(vehicles), "pickups": list(loose), "givers": [g.pk for g in groups]})
    form.fields["pickups"].label_from_instance = pickup_label
    form.giver_rows = [(giver, form[f"from{giver.pk}"], form[f"to{giver.pk}"]) for giver in groups]
    form.crews = [(vehicle, form[f"crew{vehicle.pk}"]) for vehicle in vehicles]
    return form, groups, members


@login_required
def planner(request):
    """The coordinator's day: the approved claims grouped by giver site (proposed pickups),
    the association's vehicles and "Plan the day" (OR-Tools, ``services.tours_plan``), then
    the day's tours on a map drawn without internet, with the same information as a list, a
    route sheet to print and each route for a maps app."""
    association, organisations = _coordinated(request)
    day = _day(request)
    plan_form, groups, members = _plan_form(request, association, day)
    pickup_forms = [
        (giver, PickupForm(prefix=f"giver{giver.pk}", reservations=Reservation.objects.filter(
            pk__in=[r.pk for r in rows]), volunteers=members, initial={"reservations": [r.pk for r in rows]}), rows)
        for giver, rows in groups.items()
    ]
    pickups, plans = _day_tours(request, association, day)
    loose = [p for p in pickups if p.tour_id is None and p.status == Pickup.Status.PLANNED]
    for pickup in pickups:
        pickup.volunteer_form = VolunteersForm(
            prefix=f"pickup{pickup.pk}", volunteers=members,
            initial={"volunteers": [v.pk for v in pickup.volunteers.all()]},
        )
    for tour, plan in plans:
        tour.directions = daymap.directions_url(association.location, [s.pickup.giver.location for s in plan.stops])
    tour_form = TourForm(pickups=Pickup.objects.filter(pk__in=[p.pk for p in loose]),
                         initial={"pickups": [p.pk for p in loose]})
    left_out = request.session.pop(_left_out_key(association, day), [])
    return render(request, "frontend/exchange/planner.html", {
        "association": association, "organisations": organisations, "day": day,
        "previous_day": day - timedelta(days=1), "next_day": day + timedelta(days=1),
        "plan_form": plan_form, "pickup_forms": pickup_forms, "pickups": pickups, "left_out": left_out,
        "tour_plans": plans, "tour_form": tour_form, "loose": loose,
        "map": _day_map(association, plans, loose) if plans or loose else None,
    })


def _left_out_key(association, day) -> str:
    return f"day-plan-left-out-{association.pk}-{day.isoformat()}"


@login_required
@require_POST
def planner_plan(request):
    """"Plan the day": the chosen vehicles and stops go to ``services.tours_plan``; what does
    not fit is listed on the page with the reason."""
    association, _organisations = _coordinated(request)
    day = _day(request)
    form, groups, _members = _plan_form(request, association, day, request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label} : {error}" if label else error)
        return redirect(_planner_url(association, day))
    data = form.cleaned_data
    by_giver = {giver.pk: rows for giver, rows in groups.items()}
    proposals = [
        services.Proposal(reservations=[r.pk for r in by_giver[giver_id]],
                          window_start=_aware(day, data[f"from{giver_id}"]),
                          window_end=_aware(day, data[f"to{giver_id}"]))
        for giver_id in data["givers"] if giver_id in by_giver
    ]
    vehicles = [services.VehicleChoice.of(vehicle, volunteers=form.crew(vehicle)) for vehicle in data["vehicles"]]
    result = {}
    planned = run_service(request, lambda: result.setdefault("plan", services.tours_plan(
        actor=request.user, organisation=association, date=day, vehicles=vehicles, pickups=list(data["pickups"]),
        proposals=proposals)), _("Day planned."))
    if planned:
        plan = result["plan"]
        stops = sum(len(t.pickups) for t in plan.tours)
        messages.info(request, _("%(stops)s stop(s) in %(tours)s tour(s); %(left)s left out.") % {
            "stops": stops, "tours": len(plan.tours), "left": len(plan.unassigned)})
        request.session[_left_out_key(association, day)] = [
            {"giver": str(u.giver), "items": ", ".join(f"{r.quantity} × {r.item.title}" for r in u.reservations),
             "reason": u.reason} for u in plan.unassigned
        ]
    return redirect(_planner_url(association, day))


@login_required
def route_sheet(request, pk):
    """A tour's route sheet to print (A4): stops, times, contacts, items, weights — never a
    handover code."""
    tour = get_object_or_404(selectors.visible_tours(request.user).select_related("organisation__commune"), pk=pk)
    if not exchange_permissions.can_manage_tour(request.user, tour) and not tour.volunteers.filter(
            pk=request.user.pk).exists():
        raise PermissionDenied(_("Only the association's coordinators and the tour's volunteers read its sheet."))
    pickups, plans = _day_tours(request, tour.organisation, tour.date)
    plan = next(plan for t, plan in plans if t.pk == tour.pk)
    tour = next(t for t, _plan in plans if t.pk == tour.pk)
    directions = daymap.directions_url(tour.organisation.location, [s.pickup.giver.location for s in plan.stops])
    return render(request, "frontend/exchange/route_sheet.html", {
        "tour": tour, "plan": plan, "directions": directions,
        "map": _day_map(tour.organisation, [(tour, plan)], []),
    })


@login_required
def vehicles(request):
    """The association's vehicles: add one, change one, take one out of service."""
    association, organisations = _coordinated(request)
    rows = list(Vehicle.objects.filter(organisation=association))
    editing = None
    if request.method == "POST":
        pk = request.POST.get("vehicle", "")
        editing = next((v for v in rows if str(v.pk) == pk), None)
        form = VehicleForm(request.POST, prefix=f"v{editing.pk}" if editing else "new")
        if form.is_valid():
            try:
                services.vehicle_save(actor=request.user, organisation=association, vehicle=editing,
                                      **form.cleaned_data)
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("Vehicle saved."))
                return redirect(f"{reverse('vehicles')}?org={association.pk}")
    forms = [(v, form if editing is not None and editing.pk == v.pk and request.method == "POST"
              else VehicleForm(instance=v, prefix=f"v{v.pk}")) for v in rows]
    new_form = form if request.method == "POST" and editing is None else VehicleForm(prefix="new")
    return render(request, "frontend/exchange/vehicles.html", {
        "association": association, "organisations": organisations, "forms": forms, "new_form": new_form,
        "back": _planner_url(association, _day(request)),
    }, status=400 if request.method == "POST" else 200)


def _planner_url(association, day) -> str:
    return f"{reverse('planner')}?org={association.pk}&date={day.isoformat()}"


@login_required
@require_POST
def pickup_create(request):
    association, _organisations = _coordinated(request)
    day = _day(request)
    giver = request.POST.get("giver", "")
    if not giver.isdigit():
        messages.error(request, _("Choose the reservations to collect."))
        return redirect(_planner_url(association, day))
    members = _association_members(association)
    approved = _reservations(request.user).filter(requester=association, status=Status.APPROVED, item__owner=giver)
    form = PickupForm(request.POST, prefix=f"giver{giver}", reservations=approved, volunteers=members)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(_planner_url(association, day))
    data = form.cleaned_data
    run_service(request, lambda: services.pickup_create(
        actor=request.user, reservations=list(data["reservations"]), window_start=_aware(day, data["start"]),
        window_end=_aware(day, data["end"]), volunteers=list(data["volunteers"]),
    ), _("Pickup planned for %(day)s.") % {"day": day.strftime("%d/%m/%Y")})
    return redirect(_planner_url(association, day))


@login_required
@require_POST
def pickup_assign(request, pk):
    pickup = get_object_or_404(selectors.visible_pickups(request.user), pk=pk)
    members = _association_members(pickup.organisation)
    form = VolunteersForm(request.POST, prefix=f"pickup{pickup.pk}", volunteers=members)
    if form.is_valid():
        run_service(request, lambda: services.pickup_update(
            actor=request.user, pickup=pickup, volunteers=list(form.cleaned_data["volunteers"])),
            _("Volunteers saved."))
    return redirect(_planner_url(pickup.organisation, timezone.localtime(pickup.window_start).date()))


@login_required
@require_POST
def pickup_outcome(request, pk, outcome):
    pickup = get_object_or_404(selectors.visible_pickups(request.user), pk=pk)
    if outcome == "done":
        run_service(request, lambda: services.pickup_done(actor=request.user, pickup=pickup), _("Pickup done."))
    elif outcome == "missed":
        run_service(request, lambda: services.pickup_missed(actor=request.user, pickup=pickup),
                    _("Pickup missed: its claims are back in planning."))
    else:
        raise Http404
    return redirect(_back(request, _planner_url(pickup.organisation, timezone.localtime(pickup.window_start).date())))


@login_required
@require_POST
def tour_create(request):
    association, _organisations = _coordinated(request)
    day = _day(request)
    pickups = selectors.visible_pickups(request.user).filter(
        organisation=association, tour__isnull=True, status=Pickup.Status.PLANNED)
    form = TourForm(request.POST, pickups=pickups)
    if form.is_valid():
        data = form.cleaned_data
        run_service(request, lambda: services.tour_create(
            actor=request.user, organisation=association, date=day, capacity_kg=data["capacity_kg"],
            capacity_m3=data["capacity_m3"], pickups=list(data["pickups"].order_by("window_start")),
        ), _("Tour created."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect(_planner_url(association, day))


@login_required
@require_POST
def tour_optimise(request, pk):
    tour = get_object_or_404(selectors.visible_tours(request.user), pk=pk)
    try:
        plan = services.tour_optimise(actor=request.user, tour=tour)
    except WorkflowError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Stops reordered: %(km)s km in all.") % {"km": number_format(plan.total_km, 1)})
    return redirect(_planner_url(tour.organisation, tour.date))


#
# Needs
#
def _need_form(request, data=None):
    return NeedForm(
        data, organisations=permissions.claiming_organisations(request.user),
        categories=Category.objects.all(), beneficiaries=list(Beneficiary.choices),
    )


@login_required
def needs(request):
    shown = request.GET.get("status", Need.Status.OPEN)
    if shown not in Need.Status.values:
        shown = Need.Status.OPEN
    rows = selectors.visible_needs(request.user).filter(status=shown).select_related("organisation", "category")
    return render(request, "frontend/exchange/needs.html", {
        "needs": rows, "status": shown, "statuses": Need.Status.choices,
        "can_create": permissions.claiming_organisations(request.user).exists(),
        "map": page_maps.needs_map(selectors.open_needs_by_commune(request.user)),
    })


@login_required
def need_create(request):
    form = _need_form(request, request.POST or None)
    if not form.organisations:
        raise PermissionDenied(_("Only members of an organisation that may claim items publish needs."))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            need = services.need_create(
                actor=request.user, organisation=form.chosen_organisation(), category=data["category"],
                quantity=data["quantity"], description=data["description"], beneficiary=data["beneficiary"],
                deadline=data["deadline"],
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Need published: matching new items will be announced to you."))
            return redirect("need_detail", pk=need.pk)
    return render(request, "frontend/exchange/need_form.html", {"form": form})


@login_required
def need_detail(request, pk):
    need = get_object_or_404(selectors.visible_needs(request.user).select_related("organisation", "category"), pk=pk)
    from .catalogue import _with_photos

    matches = _with_photos(selectors.need_matches(need).filter(
        pk__in=permissions.visible_items(request.user).values("pk")))
    return render(request, "frontend/exchange/need_detail.html", {
        "need": need, "matches": matches,
        "can_close": need.status == Need.Status.OPEN
        and permissions.claiming_organisations(request.user).filter(pk=need.organisation_id).exists(),
    })


@login_required
@require_POST
def need_close(request, pk):
    need = get_object_or_404(selectors.visible_needs(request.user), pk=pk)
    run_service(request, lambda: services.need_close(actor=request.user, need=need), _("Need closed."))
    return redirect("need_detail", pk=need.pk)


#
# Notifications
#
def notification_url(notification) -> str:
    return exchange_notifications.url_for(notification.object_type, notification.object_id, notification.kind)


def _preference_rows(user):
    """Each kind of notification with the person's channels (on when never set)."""
    saved = {p.kind: p for p in NotificationPreference.objects.filter(user=user)}
    rows = []
    for kind, label in Notification.Kind.choices:
        preference = saved.get(kind)
        rows.append({"kind": kind, "label": label, "channels": [
            (channel, getattr(preference, channel) if preference else True,
             NotificationPreference._meta.get_field(channel).verbose_name)
            for channel in NotificationPreference.CHANNELS]})
    return rows


@login_required
def notifications(request):
    rows = list(Notification.objects.filter(user=request.user)[:100])
    for row in rows:
        row.url = notification_url(row)
    personal = PersonalSettings.objects.filter(user=request.user).first()
    return render(request, "frontend/exchange/notifications.html", {
        "notifications": rows, "preferences": _preference_rows(request.user),
        "channel_labels": [NotificationPreference._meta.get_field(c).verbose_name
                           for c in NotificationPreference.CHANNELS],
        "language": personal.language if personal else "",
        "calendar_url": request.build_absolute_uri(reverse("calendar_feed", args=[personal.calendar_token]))
        if personal and personal.calendar_token else "",
    })


@login_required
@require_POST
def notification_settings(request):
    """The notifications page's settings: the language and each kind's channels."""
    channels = {
        kind: {channel: request.POST.get(f"{kind}-{channel}") == "on" for channel in NotificationPreference.CHANNELS}
        for kind in Notification.Kind.values
    }
    run_service(request, lambda: services.notification_settings_save(
        actor=request.user, language=request.POST.get("language", ""), channels=channels),
        _("Your notification settings are saved."))
    return redirect("notifications")


@login_required
@require_POST
def calendar_address(request):
    """Draw (or replace) the person's calendar address; the old one stops working."""
    replace = request.POST.get("replace") == "1"
    exchange_calendar.calendar_token(request.user, replace=replace)
    messages.success(request, _("Your calendar address was replaced: the old one no longer works.") if replace
                     else _("Your calendar address is ready: add it to your calendar app."))
    return redirect(f"{reverse('notifications')}#calendar")


@login_required
def notifications_bell(request):
    """The bell alone: refreshed by htmx when a live event arrives."""
    unread = Notification.objects.filter(user=request.user, read_at__isnull=True).count()
    return render(request, "frontend/includes/nav.html#bell", {"unread_count": unread})


@login_required
@require_POST
def notifications_read(request):
    ids = request.POST.getlist("id") or None
    try:
        ids = [int(i) for i in ids] if ids else None
    except ValueError:
        ids = []
    count = services.notifications_mark_read(actor=request.user, ids=ids)
    messages.success(request, _("%(n)s notification(s) marked as read.") % {"n": count})
    return redirect(_back(request, reverse("notifications")))


#
# The calendar feed (no sign-in: the address's secret is the key)
#
@require_GET
def calendar_feed(request, token):
    user = exchange_calendar.user_for_token(token)
    if user is None:
        raise Http404
    response = HttpResponse(exchange_calendar.feed(user), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="rebond.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response
