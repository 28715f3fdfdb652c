"""Shared equipment: an item's calendar with the booking form, "my bookings" for each side,
the booking actions, QR labels opened by the phone, and the camera page that scans them.

Reads through ``pooling.selectors``; writes only through ``pooling.services``; a refusal
(``WorkflowError``) becomes a message on the page.
"""

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from inventory import permissions
from inventory.errors import WorkflowError
from inventory.models import Item, Membership
from pooling import permissions as pooling_permissions
from pooling import selectors, services, states
from pooling.models import Booking, BookingRules, Label

from ..forms import BookingForm, BookingRulesForm, CheckInForm, add_service_error
from .catalogue import _with_photos
from .exchange import _back

Role = Membership.Role


def _month(request, today: date) -> date:
    """The first day of the month asked for (``?month=2026-12``), else of this month."""
    try:
        year, month = (int(part) for part in request.GET.get("month", "").split("-"))
        return date(year, month, 1)
    except (ValueError, TypeError):
        return today.replace(day=1)


def _shared_item(request, pk) -> Item:
    item = get_object_or_404(_with_photos(permissions.visible_items(request.user)), pk=pk)
    if not item.is_shared:
        raise Http404
    return item


def _bookable_for(user, item):
    """The user's organisations that may book ``item`` now, and why the others may not."""
    rules = BookingRules.of(item)
    allowed, refusals = [], []
    for organisation in permissions.claiming_organisations(user):
        refusal = services.booking_refusal_before_dates(item=item, rules=rules, requester=organisation)
        if refusal is None:
            allowed.append(organisation)
        elif organisation.pk != item.owner_id:
            refusals.append({"organisation": organisation, "code": refusal.code, "message": refusal.message})
    return rules, allowed, refusals


def _decorate(user, bookings, today: date) -> None:
    """Sets ``actions`` (exactly ``selectors.booking_actions``) and ``late`` on each booking;
    the user's memberships are read once for the list."""
    roles = permissions.Roles(user)
    for booking in bookings:
        booking.actions = selectors.booking_actions(user, booking, roles, today)
        booking.late = booking.is_late(today)


def _calendar_context(request, item, *, form=None) -> dict:
    today = timezone.localdate()
    month = _month(request, today)
    rules, organisations, refusals = _bookable_for(request.user, item)
    weeks = selectors.month_days(item, month.year, month.month, today=today)
    next_month = (month + timedelta(days=32)).replace(day=1)
    in_view = selectors.availability(item, weeks[0][0].date, weeks[-1][-1].date + timedelta(days=1))
    can_manage = pooling_permissions.can_manage_sharing(request.user, item)
    visible = selectors.visible_bookings(request.user).filter(item=item).select_related("requester", "item__owner")
    current = list(visible.filter(Q(status=Booking.Status.OUT) | Q(status__in=(Booking.Status.APPROVED,
                   Booking.Status.REQUESTED), start__lte=today, end__gt=today)).order_by("start", "pk"))
    upcoming = list(visible.filter(status__in=states.HOLDING, start__gt=today).order_by("start", "pk")[:20])
    _decorate(request.user, current + upcoming, today)
    if form is None and organisations:
        form = BookingForm(item=item, organisations=organisations)
    return {
        "item": item, "rules": rules, "today": today, "month": month, "weeks": weeks,
        "previous_month": (month - timedelta(days=1)).replace(day=1), "next_month": next_month,
        "month_bookings": in_view, "booking_form": form, "refusals": refusals, "can_manage": can_manage,
        "current": current, "upcoming": upcoming, "checkin_form": CheckInForm(),
        "rules_form": BookingRulesForm(instance=rules) if can_manage else None,
    }


@login_required
def item_calendar(request, pk):
    """The shared item's page: its month of bookings (free days marked), the booking form
    with a conflict explained before sending, today's check-out or check-in."""
    item = _shared_item(request, pk)
    context = _calendar_context(request, item)
    if request.htmx and request.htmx.target == "calendar":
        return render(request, "frontend/sharing/item.html#calendar", context)
    return render(request, "frontend/sharing/item.html", context)


@login_required
@require_GET
def booking_check(request, pk):
    """htmx: whether the dates in the form can be booked, explained (the first day that
    clashes, the notice, the longest period…) before anything is sent."""
    item = _shared_item(request, pk)
    _rules, organisations, _refusals = _bookable_for(request.user, item)
    form = BookingForm(request.GET, item=item, organisations=organisations)
    verdict = {"ok": False, "message": ""}
    if organisations and form.is_valid():
        fields = form.booking_fields()
        try:
            services.booking_check(item=item, **fields)
        except WorkflowError as error:
            verdict = {"ok": False, "code": error.code, "message": error.message}
        except ValidationError as error:
            verdict = {"ok": False, "code": "invalid", "message": " ".join(error.messages)}
        else:
            verdict = {"ok": True, "message": _("These days are free: you can send the booking.")}
    elif organisations and form.is_bound and form.errors:
        verdict = {"ok": False, "code": "invalid", "message": " ".join(
            str(message) for errors in form.errors.values() for message in errors)}
    return render(request, "frontend/sharing/item.html#verdict", {"verdict": verdict})


@login_required
@require_POST
def booking_create(request, pk):
    item = _shared_item(request, pk)
    _rules, organisations, _refusals = _bookable_for(request.user, item)
    if not organisations:
        messages.error(request, _("None of your organisations may book this item."))
        return redirect("shared_item", pk=item.pk)
    form = BookingForm(request.POST, item=item, organisations=organisations)
    if form.is_valid():
        try:
            bookings = services.booking_create(actor=request.user, item=item, purpose=form.cleaned_data["purpose"],
                                               **form.booking_fields())
        except WorkflowError as error:
            form.add_error(None, error.message)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            first = bookings[0]
            if first.status == Booking.Status.APPROVED:
                messages.success(request, _("Booked: “%(title)s” is yours on these days (%(n)s booking(s)).")
                                 % {"title": item.title, "n": len(bookings)})
            else:
                messages.success(request, _("Booking sent to %(owner)s for approval (%(n)s booking(s)).")
                                 % {"owner": item.owner, "n": len(bookings)})
            return redirect(f"{reverse('my_bookings')}?side=mine")
    return render(request, "frontend/sharing/item.html", _calendar_context(request, item, form=form), status=400)


@login_required
@require_POST
def booking_rules(request, pk):
    item = _shared_item(request, pk)
    if not pooling_permissions.can_manage_sharing(request.user, item):
        raise PermissionDenied(_("Only the owner's staff may change how its items are booked."))
    form = BookingRulesForm(request.POST, instance=BookingRules.of(item))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.booking_rules_update(
                actor=request.user, item=item, auto_approve=data["auto_approve"], max_days=data["max_days"],
                lead_days=data["lead_days"], audience=data["audience"], organisations=data["organisations"],
            )
        except (WorkflowError, ValidationError) as error:
            messages.error(request, getattr(error, "message", None) or " ".join(error.messages))
        else:
            messages.success(request, _("Booking rules saved."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect("shared_item", pk=item.pk)


#
# My bookings (both sides) and the actions
#
SIDES = ("mine", "items")


@login_required
def my_bookings(request):
    """Bookings my organisations made ("mine"), and bookings of our shared items ("items")."""
    today = timezone.localdate()
    bookers = permissions.claiming_organisations(request.user)
    owners = permissions.organisations_of(request.user, Role.STAFF)
    side = request.GET.get("side")
    if side not in SIDES:
        side = "mine"
    visible = selectors.visible_bookings(request.user).select_related("item__owner", "requester")
    shown = visible.filter(requester__in=bookers) if side == "mine" else visible.filter(item__owner__in=owners)
    active = list(shown.filter(status__in=states.HOLDING).order_by("start", "pk"))
    past = list(shown.exclude(status__in=states.HOLDING).order_by("-start", "-pk")[:30])
    _decorate(request.user, active + past, today)
    return render(request, "frontend/sharing/my_bookings.html", {
        "side": side, "active": active, "past": past, "today": today, "checkin_form": CheckInForm(),
        "has_items": owners.exists(),
    })


ACTIONS = {
    "approve": (lambda actor, b, request: services.booking_approve(actor=actor, booking=b),
                gettext_lazy("Booking approved.")),
    "decline": (lambda actor, b, request: services.booking_decline(
        actor=actor, booking=b, reason=request.POST.get("reason", "")), gettext_lazy("Booking declined.")),
    "cancel": (lambda actor, b, request: services.booking_cancel(
        actor=actor, booking=b, reason=request.POST.get("reason", "")), gettext_lazy("Booking cancelled.")),
    "check-out": (lambda actor, b, request: services.booking_check_out(actor=actor, booking=b),
                  gettext_lazy("Checked out: it is in your hands until the last day.")),
    "check-in": (lambda actor, b, request: services.booking_check_in(
        actor=actor, booking=b, condition_note=request.POST.get("condition_note", ""),
        photo=request.FILES.get("photo")), gettext_lazy("Checked in: thank you, the item is back.")),
}


@login_required
@require_POST
def booking_action(request, pk, action):
    if action not in ACTIONS:
        raise Http404
    booking = get_object_or_404(selectors.visible_bookings(request.user), pk=pk)
    call, success = ACTIONS[action]
    try:
        call(request.user, booking, request)
    except WorkflowError as error:
        messages.error(request, error.message)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, str(success))
    return redirect(_back(request, reverse("my_bookings")))


#
# QR labels and the camera
#
@login_required
def label_open(request, code):
    """Where a label's QR code leads: the item, for a signed-in member (the sign-in page
    first, then back here)."""
    label = get_object_or_404(Label.objects.select_related("item"), code=code)
    if not permissions.can_view_item(request.user, label.item):
        raise Http404
    if label.item.is_shared:
        return redirect("shared_item", pk=label.item_id)
    return redirect("item_detail", pk=label.item_id)


@login_required
def scan(request):
    """The phone's camera reads a label (BarcodeDetector, else the vendored jsQR) and opens
    it; the item's page then offers the check-out or check-in. Without a camera, the code
    printed under the label is typed (``?code=``)."""
    code = request.GET.get("code", "").strip()
    if code:
        if Label.objects.filter(code=code).exists():
            return redirect("label_open", code=code)
        messages.error(request, _("No label has the code “%(code)s”.") % {"code": code[:16]})
    return render(request, "frontend/sharing/scan.html")
