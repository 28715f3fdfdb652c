"""The exchange in the Django admin: read, search, history, and transitions as actions.

Statuses, counters and workflow fields are read-only here; the actions call the services
with the admin user as actor (``exchange.permissions`` lets superusers moderate), so the
admin obeys the same pipeline, locks and history as every other entry point.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from inventory.errors import WorkflowError
from inventory.history import attribute
from inventory.permissions import Roles

from . import selectors, services
from .models import (
    AgecFlatRate,
    DeliveryFeedback,
    ImpactRecord,
    Need,
    Notification,
    Pickup,
    PushSubscription,
    Reminder,
    Reservation,
    Tour,
    TransferException,
    TransferRecord,
    Vehicle,
)


def _run_for_each(modeladmin, request, queryset, call, done_message):
    done = 0
    for obj in queryset:
        try:
            call(obj)
            done += 1
        except (WorkflowError, PermissionDenied) as error:
            modeladmin.message_user(request, f"{obj}: {error}", messages.WARNING)
    if done:
        modeladmin.message_user(request, done_message % {"n": done}, messages.SUCCESS)


def run_allowed_action(modeladmin, request, queryset, action, actions_of, call, done_message):
    """Run ``action`` on each selected object where ``actions_of(user, obj, roles)`` allows it
    (the selector the pages' buttons follow: ``reservation_actions``, the pooling app's
    ``booking_actions``); the others are listed as skipped."""
    roles = Roles(request.user)

    def checked(obj):
        if action not in actions_of(request.user, obj, roles):
            raise WorkflowError("invalid_transition", _("not possible now (status: %(status)s)")
                                % {"status": obj.get_status_display()})
        call(obj)

    _run_for_each(modeladmin, request, queryset, checked, done_message)


def _run_reservation_action(modeladmin, request, queryset, action, call, done_message):
    run_allowed_action(modeladmin, request, queryset.select_related("item__category"), action,
                       selectors.reservation_actions, call, done_message)


#
# Reservations
#
@admin.register(Reservation)
class ReservationAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "item", "requester", "quantity", "mode", "status", "created_at")
    list_filter = ("status", "mode", "requester__kind")
    search_fields = ("item__title", "requester__name", "purpose")
    list_select_related = ("item", "requester")
    date_hierarchy = "created_at"
    actions = ["approve", "decline", "cancel"]
    # Everything that the workflow owns is read-only; only the free text may be corrected.
    # The handover code is for the giver's staff only: not shown here, where a version of the
    # history would show today's code as if it had been that version's.
    exclude = ("handover_code",)
    readonly_fields = (
        "item", "requester", "requested_by", "quantity", "mode", "return_by", "need", "status",
        "pickup", "reason", "created_at", "approved_at", "scheduled_at", "collected_at",
        "delivered_at", "returned_at", "declined_at", "cancelled_at", "expired_at", "updated_at",
    )

    def has_add_permission(self, request):
        return False  # claims are made through the app or the API (reservation_create)

    def has_delete_permission(self, request, obj=None):
        return False  # nothing reserved is ever deleted

    @admin.action(description=gettext_lazy("Approve the selected claims"))
    def approve(self, request, queryset):
        _run_reservation_action(self, request, queryset, "approve",
                                lambda r: services.reservation_approve(actor=request.user, reservation=r),
                                _("%(n)s claim(s) approved."))

    @admin.action(description=gettext_lazy("Decline the selected claims"))
    def decline(self, request, queryset):
        reason = _("Declined by the platform administrator.")
        decline = lambda r: services.reservation_decline(actor=request.user, reservation=r, reason=reason)  # noqa: E731
        _run_reservation_action(self, request, queryset, "decline", decline, _("%(n)s claim(s) declined."))

    @admin.action(description=gettext_lazy("Cancel the selected reservations"))
    def cancel(self, request, queryset):
        reason = _("Cancelled by the platform administrator.")
        cancel = lambda r: services.reservation_cancel(actor=request.user, reservation=r, reason=reason)  # noqa: E731
        _run_reservation_action(self, request, queryset, "cancel", cancel, _("%(n)s reservation(s) cancelled."))


#
# Pickups and tours
#
class PickupReservationInline(admin.TabularInline):
    model = Reservation
    fields = ("item", "requester", "quantity", "status")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Pickup)
class PickupAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "organisation", "giver", "window_start", "status", "tour", "position")
    list_filter = ("status",)
    search_fields = ("giver__name", "organisation__name")
    list_select_related = ("organisation", "giver", "tour")
    readonly_fields = ("organisation", "giver", "window_start", "window_end", "volunteers", "status", "tour",
                       "position", "created_by", "created_at")
    inlines = [PickupReservationInline]

    def has_add_permission(self, request):
        return False  # pickup_create moves the reservations to scheduled


@admin.register(Tour)
class TourAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "organisation", "date", "capacity_kg", "capacity_m3")
    list_filter = ("date",)
    search_fields = ("organisation__name",)
    readonly_fields = ("organisation", "date", "volunteers", "created_by", "created_at")

    def has_add_permission(self, request):
        return False  # tour_create checks the pickups


#
# Needs
#
@admin.register(Need)
class NeedAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "organisation", "category", "quantity", "quantity_met", "beneficiary", "deadline",
                    "status")
    list_filter = ("status", "beneficiary", "category")
    search_fields = ("organisation__name", "description")
    readonly_fields = ("organisation", "category", "quantity_met", "status", "created_by", "created_at")
    actions = ["close"]

    def has_add_permission(self, request):
        return False  # need_create checks who publishes

    @admin.action(description=gettext_lazy("Close the selected needs"))
    def close(self, request, queryset):
        _run_for_each(self, request, queryset, lambda n: services.need_close(actor=request.user, need=n),
                      _("%(n)s need(s) closed."))


#
# Impact ledger and notifications (no history: the ledger is write-once)
#
@admin.register(DeliveryFeedback)
class DeliveryFeedbackAdmin(SimpleHistoryAdmin):
    """What receivers said (read only: given once, through the service)."""

    list_display = ("reservation", "people_helped", "beneficiary", "consent_to_quote", "created_at")
    list_filter = ("beneficiary", "consent_to_quote")

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(AgecFlatRate)
class AgecFlatRateAdmin(SimpleHistoryAdmin):
    """The AGEC value grid; managers edit it on its page (the service keeps its history)."""

    list_display = ("product_type", "unit_value_eur", "source", "updated_at")

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ImpactRecord)
class ImpactRecordAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "reservation", "quantity", "kg", "co2e_kg", "value_eur", "giver", "receiver")
    list_filter = ("kind", "category", "beneficiary", "commune")
    search_fields = ("giver__name", "receiver__name")
    date_hierarchy = "date"

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


#
# Public-property transfers: read-only here (exceptions are granted through the service,
# records are issued at collection and never edited)
#
class ReadOnlyAdmin:
    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TransferException)
class TransferExceptionAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ("item", "requester", "reason", "granted_by", "created_at")
    search_fields = ("item__title", "requester__name", "reason")


@admin.register(TransferRecord)
class TransferRecordAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("number", "version", "kind", "reservation", "issued_at", "handover_code_checked")
    list_filter = ("kind",)
    search_fields = ("number", "reservation__item__title", "reservation__requester__name")
    date_hierarchy = "issued_at"


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "message", "created_at", "read_at")
    list_filter = ("kind",)
    search_fields = ("user__username", "message")
    readonly_fields = ("user", "kind", "message", "object_type", "object_id", "created_at")

    def has_add_permission(self, request):
        return False


#
# On the road: vehicles, push subscriptions, reminders
#
@admin.register(Vehicle)
class VehicleAdmin(SimpleHistoryAdmin):
    list_display = ("name", "organisation", "capacity_kg", "capacity_m3", "usual_start", "usual_end", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "organisation__name")
    list_select_related = ("organisation",)

    def save_model(self, request, obj, form, change):
        # Through the service: the same rules (a coordinator's or the administrator's) and history.
        fields = {name: form.cleaned_data[name] for name in services.tours.VEHICLE_FIELDS if name in form.cleaned_data}
        if request.user.is_superuser:
            obj.full_clean()
            attribute(obj, actor=request.user, reason=_("Changed in the admin"))
            obj.save()
        else:
            saved = services.vehicle_save(actor=request.user, organisation=form.cleaned_data["organisation"],
                                          vehicle=obj if change else None, **fields)
            obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None):
        return False  # taken out of service instead: past tours name it


@admin.register(PushSubscription)
class PushSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("user", "endpoint", "created_at", "last_used_at")
    search_fields = ("user__username",)
    readonly_fields = ("user", "endpoint", "p256dh", "auth", "user_agent", "created_at", "last_used_at")

    def has_add_permission(self, request):
        return False  # browsers subscribe themselves (API)


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("pickup", "user", "kind", "sent_at")
    list_filter = ("kind",)
