"""Shared equipment in the Django admin: read, search, history, and transitions as actions.

Statuses and dates are read-only; the actions call ``pooling.services`` with the admin user
as actor (``pooling.permissions`` lets superusers approve, decline and cancel), so the admin
obeys the same pipeline, locks and history as the pages and the API.
"""

from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from exchange.admin import run_allowed_action

from . import selectors, services
from .models import Booking, BookingRules, Label


@admin.register(Booking)
class BookingAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "item", "requester", "start", "end", "quantity", "status", "late_flagged_at")
    list_filter = ("status", "requester__kind")
    search_fields = ("item__title", "requester__name", "purpose")
    list_select_related = ("item", "requester")
    date_hierarchy = "start"
    actions = ["approve", "decline", "cancel"]
    readonly_fields = (
        "item", "requester", "booked_by", "start", "end", "quantity", "status", "series", "single_unit", "reason",
        "condition_note", "return_photo", "return_thumbnail", "unit_value_eur", "unit_co2e_kg", "created_at",
        "approved_at", "out_at", "returned_at", "declined_at", "cancelled_at", "start_reminded_at",
        "end_reminded_at", "late_flagged_at", "updated_at",
    )

    def has_add_permission(self, request):
        return False  # bookings are made through the app or the API (booking_create)

    def has_delete_permission(self, request, obj=None):
        return False  # a booking is cancelled, never deleted

    def _run(self, request, queryset, action, call, done_message):
        # The same rule as the pages' buttons: pooling.selectors.booking_actions.
        run_allowed_action(self, request, queryset.select_related("item"), action, selectors.booking_actions,
                           call, done_message)

    @admin.action(description=gettext_lazy("Approve the selected bookings"))
    def approve(self, request, queryset):
        self._run(request, queryset, "approve", lambda b: services.booking_approve(actor=request.user, booking=b),
                  _("%(n)s booking(s) approved."))

    @admin.action(description=gettext_lazy("Decline the selected bookings"))
    def decline(self, request, queryset):
        reason = _("Declined by the platform administrator.")
        self._run(request, queryset, "decline",
                  lambda b: services.booking_decline(actor=request.user, booking=b, reason=reason),
                  _("%(n)s booking(s) declined."))

    @admin.action(description=gettext_lazy("Cancel the selected bookings"))
    def cancel(self, request, queryset):
        reason = _("Cancelled by the platform administrator.")
        self._run(request, queryset, "cancel",
                  lambda b: services.booking_cancel(actor=request.user, booking=b, reason=reason),
                  _("%(n)s booking(s) cancelled."))


@admin.register(BookingRules)
class BookingRulesAdmin(SimpleHistoryAdmin):
    """Read-only: the owner's staff set the rules (``booking_rules_update``), kept in history."""

    list_display = ("item", "auto_approve", "max_days", "lead_days", "audience")
    list_filter = ("auto_approve", "audience")
    search_fields = ("item__title",)
    readonly_fields = ("item", "auto_approve", "max_days", "lead_days", "audience", "organisations")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ("code", "item", "created_at")
    search_fields = ("code", "item__title")
    readonly_fields = ("item", "code", "created_at")

    def has_add_permission(self, request):
        return False  # a label is made when it is first printed
