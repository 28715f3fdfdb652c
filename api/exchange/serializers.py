"""Exchange resources: declarative serializers; writes go through ``exchange.services``."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import OnlyMembershipDefault, VisiblePrimaryKeyRelatedField
from api.serializers import ModelSerializer
from exchange import reports, selectors
from exchange.models import Beneficiary, Need, Pickup, Reservation, Tour, TransferException
from inventory import permissions
from inventory.models import Category, Membership, Organisation

User = get_user_model()


def coordinated_organisations(user):
    """Associations whose pickups and tours ``user`` plans (the default ``organisation``)."""
    return permissions.organisations_of(user, Membership.Role.COORDINATOR)


#
# Reservations
#
RESERVATION_TIMESTAMPS = (
    "created_at", "approved_at", "scheduled_at", "collected_at", "delivered_at", "returned_at",
    "declined_at", "cancelled_at", "expired_at", "updated_at",
)


class ReservationSerializer(ModelSerializer):
    item = VisiblePrimaryKeyRelatedField(scope=permissions.visible_items)
    requester = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(),
        default=OnlyMembershipDefault(permissions.claiming_organisations),
        help_text="Defaults to your only claiming organisation; required when there are several.",
    )
    need = VisiblePrimaryKeyRelatedField(scope=selectors.visible_needs, required=False, allow_null=True)
    handover_code = serializers.SerializerMethodField(
        help_text="Shown to the giver's staff only (null for everyone else)."
    )
    allowed_actions = serializers.SerializerMethodField(
        help_text="The actions you may take on this claim now (the buttons the pages show): "
        "approve, decline, collect, deliver, return, refurbishment, cancel.",
    )

    class Meta:
        model = Reservation
        fields = (
            "id", "item", "requester", "requested_by", "quantity", "mode", "return_by", "purpose", "need",
            "status", "allowed_actions", "handover_code", "pickup", "reason", "transfer_rule", "legal_basis",
            "refurbished_at", "refurbishment_notes", *RESERVATION_TIMESTAMPS,
        )
        read_only_fields = (
            "requested_by", "status", "pickup", "reason", "transfer_rule", "legal_basis", "refurbished_at",
            "refurbishment_notes", *RESERVATION_TIMESTAMPS,
        )

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_handover_code(self, reservation) -> str | None:
        # One query for the whole list: the givers whose codes this user may see.
        user = self.context["request"].user
        if "handover_code_givers" not in self.context:
            self.context["handover_code_givers"] = selectors.handover_code_givers(user)
        visible = selectors.can_see_handover_code(user, reservation, self.context["handover_code_givers"])
        return reservation.handover_code if visible else None

    @extend_schema_field(
        serializers.ListField(child=serializers.ChoiceField(choices=selectors.RESERVATION_ACTIONS)),
    )
    def get_allowed_actions(self, reservation) -> list[str]:
        # The user's memberships read once for the whole list.
        if "roles" not in self.context:
            self.context["roles"] = permissions.Roles(self.context["request"].user)
        return selectors.reservation_actions(self.context["request"].user, reservation, self.context["roles"])


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class RefurbishmentSerializer(serializers.Serializer):
    notes = serializers.CharField(max_length=4000, help_text="What was checked, replaced and cleaned.")


class TransferExceptionSerializer(ModelSerializer):
    item = VisiblePrimaryKeyRelatedField(scope=permissions.visible_items)

    class Meta:
        model = TransferException
        fields = ("id", "item", "requester", "reason", "granted_by", "created_at")
        read_only_fields = ("granted_by", "created_at")


class HandoverCodeSerializer(serializers.Serializer):
    handover_code = serializers.CharField(max_length=12, help_text="The 6 digits the giver's staff shows.")
    signature = serializers.CharField(
        required=False, allow_blank=True, write_only=True,
        help_text="The receiver's signature drawn at the door, as a PNG data URL (data:image/png;base64,…).",
    )


#
# Pickups and tours
#
class PickupSerializer(ModelSerializer):
    reservations = VisiblePrimaryKeyRelatedField(
        scope=selectors.visible_reservations, many=True,
        help_text="Approved reservations at one giver; they move to `scheduled`.",
    )
    volunteers = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), many=True, required=False)

    class Meta:
        model = Pickup
        fields = (
            "id", "organisation", "giver", "reservations", "window_start", "window_end", "volunteers", "status",
            "tour", "position", "created_at",
        )
        read_only_fields = ("organisation", "giver", "status", "tour", "position", "created_at")

    def get_fields(self):
        fields = super().get_fields()
        if isinstance(self.instance, Pickup):
            fields["reservations"].read_only = True  # a pickup's reservations are set once
        return fields


class TourSerializer(ModelSerializer):
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(),
        default=OnlyMembershipDefault(coordinated_organisations),
        help_text="Defaults to your only association where you coordinate; required when there are several.",
    )
    pickups = VisiblePrimaryKeyRelatedField(scope=selectors.visible_pickups, many=True)

    class Meta:
        model = Tour
        fields = ("id", "organisation", "date", "capacity_kg", "capacity_m3", "pickups", "volunteers", "created_at")
        read_only_fields = ("volunteers", "created_at")


class TourStopSerializer(serializers.Serializer):
    pickup = serializers.IntegerField(source="pickup.pk")
    position = serializers.IntegerField()
    distance_km = serializers.FloatField(help_text="From the previous stop (the association for the first).")


class TourPlanSerializer(serializers.Serializer):
    stops = TourStopSerializer(many=True)
    total_km = serializers.FloatField()
    load_kg = serializers.DecimalField(max_digits=12, decimal_places=3)
    load_m3 = serializers.DecimalField(max_digits=12, decimal_places=3)
    over_capacity = serializers.BooleanField()


#
# Needs
#
class NeedSerializer(ModelSerializer):
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(),
        default=OnlyMembershipDefault(permissions.claiming_organisations),
        help_text="Defaults to your only claiming organisation; required when there are several.",
    )
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all())
    beneficiary = serializers.ChoiceField(choices=Beneficiary.choices)

    class Meta:
        model = Need
        fields = (
            "id", "organisation", "category", "quantity", "quantity_met", "description", "beneficiary", "deadline",
            "status", "created_at",
        )
        read_only_fields = ("quantity_met", "status", "created_at")
        extra_kwargs = {"description": {"default": ""}}


#
# Impact
#
GROUP_BY_CHOICES = reports.GROUP_BY


class ImpactQuerySerializer(serializers.Serializer):
    """``?from=&to=`` (dates, inclusive) and ``group_by``."""

    to = serializers.DateField(required=False)
    group_by = serializers.ChoiceField(choices=GROUP_BY_CHOICES, required=False)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(required=False)  # a Python keyword: declared here
        return fields

    def validate(self, attrs):
        start, end = attrs.get("from"), attrs.get("to")
        if start and end and start > end:
            raise serializers.ValidationError({"to": [_("The end of the period is before its start.")]})
        return attrs


class ExportQuerySerializer(ImpactQuerySerializer):
    format = serializers.ChoiceField(choices=("csv", "xlsx"), default="csv")
    group_by = None


class ImpactFiguresSerializer(serializers.Serializer):
    items = serializers.IntegerField(help_text="Units (quantities summed).")
    kg = serializers.DecimalField(max_digits=18, decimal_places=3)
    co2e_kg = serializers.DecimalField(max_digits=18, decimal_places=3)
    value_eur = serializers.DecimalField(max_digits=18, decimal_places=2)
    reservations = serializers.IntegerField(help_text="Claims counted.")


class ImpactGroupSerializer(ImpactFiguresSerializer):
    key = serializers.CharField(allow_null=True)
    label = serializers.CharField()


class ImpactKpiSerializer(serializers.Serializer):
    items_reused = serializers.IntegerField(help_text="Units given away (donations).")
    loans = serializers.IntegerField(help_text="Loans returned.")
    loan_days = serializers.IntegerField(help_text="Days of those loans, summed.")
    kg = serializers.DecimalField(max_digits=18, decimal_places=3)
    co2e_kg = serializers.DecimalField(max_digits=18, decimal_places=3)
    value_eur = serializers.DecimalField(max_digits=18, decimal_places=2)
    givers = serializers.IntegerField(help_text="Active giver organisations.")
    receivers = serializers.IntegerField(help_text="Active receiving organisations.")
    needs_met = serializers.IntegerField(help_text="Needs served.")
    need_units = serializers.IntegerField(help_text="Units that served a need.")
    reuse_rate = serializers.DecimalField(
        max_digits=4, decimal_places=1, allow_null=True,
        help_text="Percent of the items published in the period, with a known fate, that found a taker.",
    )
    published = serializers.IntegerField(help_text="Items published in the period whose fate is known.")
    taken = serializers.IntegerField(help_text="Of those, the items that found a taker.")
    median_days = serializers.DecimalField(
        max_digits=8, decimal_places=1, allow_null=True, help_text="Median days from publication to collection.",
    )


class ImpactTotalsSerializer(ImpactFiguresSerializer):
    shared_uses = serializers.IntegerField(
        help_text="Shared-equipment bookings returned in the period (not in the reuse figures above).")
    purchases_avoided = serializers.IntegerField(
        help_text="Estimate: each organisation that used a shared item in a year counts as one purchase avoided.")


class SharedItemUseSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    title = serializers.CharField()
    uses = serializers.IntegerField()
    facilities = serializers.IntegerField(help_text="Organisations that used it.")


class SharingSerializer(serializers.Serializer):
    shared_uses = serializers.IntegerField()
    facilities = serializers.IntegerField(help_text="Organisations that used shared equipment.")
    items_shared = serializers.IntegerField()
    purchases_avoided = serializers.IntegerField(help_text="A labelled estimate (see /methodology/).")
    purchases_avoided_value_eur = serializers.DecimalField(max_digits=18, decimal_places=2)
    purchases_avoided_co2e_kg = serializers.DecimalField(max_digits=18, decimal_places=3)
    items = SharedItemUseSerializer(many=True)


class ImpactSummarySerializer(serializers.Serializer):
    totals = ImpactTotalsSerializer()
    groups = ImpactGroupSerializer(many=True)
    kpis = ImpactKpiSerializer()
    sharing = SharingSerializer(help_text="Shared equipment (mutualisation), kept apart from the reuse figures.")

