"""Shared-equipment resources: declarative serializers; writes go through ``pooling.services``."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import OnlyMembershipDefault, VisiblePrimaryKeyRelatedField
from api.serializers import ModelSerializer
from inventory import permissions
from inventory.models import Organisation
from pooling import selectors
from pooling.models import MAX_REPEAT_WEEKS, Booking, BookingRules

BOOKING_TIMESTAMPS = (
    "created_at", "approved_at", "out_at", "returned_at", "declined_at", "cancelled_at", "updated_at",
)


class BookingRulesSerializer(ModelSerializer):
    organisations = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), many=True, required=False,
        help_text="Who may book when `audience` is `named`.",
    )

    class Meta:
        model = BookingRules
        fields = ("auto_approve", "max_days", "lead_days", "audience", "organisations")

    def to_representation(self, instance):
        if instance._state.adding:  # the defaults of an item without saved rules
            return {name: getattr(instance, name) for name in self.Meta.fields if name != "organisations"} | {
                "organisations": []}
        return super().to_representation(instance)


class BookingSerializer(ModelSerializer):
    item = VisiblePrimaryKeyRelatedField(scope=selectors.shared_items, help_text="A published shared item.")
    requester = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(),
        default=OnlyMembershipDefault(permissions.claiming_organisations),
        help_text="Defaults to your only organisation that may book; required when there are several.",
    )
    repeat_weeks = serializers.IntegerField(
        min_value=0, max_value=MAX_REPEAT_WEEKS, required=False, default=0, write_only=True,
        help_text="Book the same weekdays for this many more weeks, all or nothing (the bookings share a `series`).",
    )
    late = serializers.SerializerMethodField(help_text="Still out after its last day.")
    allowed_actions = serializers.SerializerMethodField(
        help_text="The actions you may take on this booking now (the buttons the pages show): "
        "approve, decline, check-out, check-in, cancel.",
    )

    class Meta:
        model = Booking
        fields = (
            "id", "item", "requester", "booked_by", "start", "end", "quantity", "purpose", "repeat_weeks", "series",
            "status", "late", "allowed_actions", "reason", "condition_note", *BOOKING_TIMESTAMPS,
        )
        read_only_fields = ("booked_by", "series", "status", "reason", "condition_note", *BOOKING_TIMESTAMPS)
        extra_kwargs = {
            "start": {"help_text": "First day booked."},
            "end": {"help_text": "The day after the last day booked (exclusive)."},
        }

    def _today(self):
        from django.utils import timezone

        if "today" not in self.context:
            self.context["today"] = timezone.localdate()
        return self.context["today"]

    @extend_schema_field(serializers.BooleanField())
    def get_late(self, booking) -> bool:
        return booking.is_late(self._today())

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=selectors.BOOKING_ACTIONS)))
    def get_allowed_actions(self, booking) -> list[str]:
        # The user's memberships read once for the whole list.
        if "roles" not in self.context:
            self.context["roles"] = permissions.Roles(self.context["request"].user)
        return selectors.booking_actions(self.context["request"].user, booking, self.context["roles"], self._today())


class CheckInSerializer(serializers.Serializer):
    condition_note = serializers.CharField(
        max_length=Booking.NOTE_MAX_LENGTH, required=False, allow_blank=True, default="",
        help_text="The item's condition on return.",
    )
    photo = serializers.FileField(required=False, help_text="Optional photo of the item on return (JPEG, PNG, WebP).")


class AvailabilityQuerySerializer(serializers.Serializer):
    from_ = serializers.DateField(required=False)
    to = serializers.DateField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from"] = self.fields.pop("from_")

    def validate(self, attrs):
        from datetime import timedelta

        from django.utils import timezone

        start = attrs.get("from") or timezone.localdate()
        end = attrs.get("to") or start + timedelta(days=92)
        if end < start:
            raise serializers.ValidationError({"to": _("The end of the period is before its start.")})
        if (end - start).days > 400:
            raise serializers.ValidationError({"to": _("Ask for 400 days at most.")})
        return {"from": start, "to": end}


class AvailabilityBookingSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    quantity = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Booking.Status.choices)


class AvailabilitySerializer(serializers.Serializer):
    quantity = serializers.IntegerField(help_text="Units of the item.")
    bookings = AvailabilityBookingSerializer(many=True)


class LabelsQuerySerializer(serializers.Serializer):
    items = serializers.CharField(help_text="Comma-separated item ids, e.g. `1,2,3`.")

    def validate_items(self, value):
        from pooling.labels import MAX_LABELS

        try:
            ids = [int(part) for part in value.split(",") if part.strip()]
        except ValueError:
            raise serializers.ValidationError(_("Give item ids separated by commas, e.g. 1,2,3.")) from None
        if not ids:
            raise serializers.ValidationError(_("Give at least one item id."))
        if len(ids) > MAX_LABELS:
            raise serializers.ValidationError(_("At most %(n)s labels at once.") % {"n": MAX_LABELS})
        return list(dict.fromkeys(ids))
