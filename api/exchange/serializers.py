"""Exchange resources: declarative serializers; writes go through ``exchange.services``."""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import OnlyMembershipDefault, VisiblePrimaryKeyRelatedField
from api.serializers import ModelSerializer
from exchange import reports, selectors
from exchange.models import (
    Beneficiary,
    DeliveryFeedback,
    Need,
    Pickup,
    PushSubscription,
    Reservation,
    Tour,
    TransferException,
)
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
            "status", "allowed_actions", "handover_code", "pickup", "weight_kg", "reason", "transfer_rule",
            "legal_basis", "refurbished_at", "refurbishment_notes", *RESERVATION_TIMESTAMPS,
        )
        read_only_fields = (
            "requested_by", "status", "pickup", "weight_kg", "reason", "transfer_rule", "legal_basis", "refurbished_at",
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
    weight_kg = serializers.DecimalField(
        max_digits=7, decimal_places=2, required=False, allow_null=True,
        help_text="What the volunteer weighed (kg, more than 0 and up to 3500); the impact record then counts it "
        "(`kg_basis` `measured`) rather than the estimate.",
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


class PlanVehicleSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    capacity_kg = serializers.DecimalField(max_digits=8, decimal_places=1, min_value=Decimal("0.1"))
    capacity_m3 = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=Decimal("0.01"))
    start = serializers.TimeField(help_text="Leaves the association no earlier (local time, HH:MM).")
    end = serializers.TimeField(help_text="Back at the association no later (local time, HH:MM).")

    def validate(self, attrs):
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": [_("The working hours must end after they start.")]})
        return attrs


class TourPlanRequestSerializer(serializers.Serializer):
    date = serializers.DateField()
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(),
        default=OnlyMembershipDefault(coordinated_organisations),
        help_text="Defaults to your only association where you coordinate; required when there are several.",
    )
    vehicles = PlanVehicleSerializer(many=True, allow_empty=False, max_length=20)
    pickups = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False, max_length=500,
        help_text="Planned pickups of that day to place (default: every one not yet in a tour).",
    )

    def validate_date(self, value):
        if not 2000 <= value.year <= 2100:
            raise serializers.ValidationError(_("Choose a day between 2000 and 2100."))
        return value


class PlannedStopSerializer(serializers.Serializer):
    pickup = serializers.IntegerField()
    arrival = serializers.DateTimeField()
    load_kg = serializers.DecimalField(max_digits=10, decimal_places=1,
                                       help_text="Kilograms on board when the vehicle leaves this stop.")


class PlannedTourSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    vehicle = serializers.CharField()
    stops = PlannedStopSerializer(many=True)
    distance_km = serializers.DecimalField(max_digits=8, decimal_places=1,
                                           help_text="Road distance, back to the association included.")


class UnassignedStopSerializer(serializers.Serializer):
    pickup = serializers.IntegerField()
    code = serializers.ChoiceField(choices=("too_heavy", "too_bulky", "outside_hours", "no_room"))
    reason = serializers.CharField()


class DayPlanSerializer(serializers.Serializer):
    tours = PlannedTourSerializer(many=True)
    unassigned = UnassignedStopSerializer(many=True)

    @staticmethod
    def from_plan(plan) -> dict:
        return {
            "tours": [
                {"id": p.tour.pk, "vehicle": p.tour.vehicle_name, "distance_km": p.tour.distance_km,
                 "stops": [{"pickup": pickup.pk, "arrival": pickup.arrival,
                            "load_kg": Decimal(str(stop.load_kg)).quantize(Decimal("0.1"))}
                           for pickup, stop in zip(p.pickups, p.route.stops, strict=True)]}
                for p in plan.tours
            ],
            "unassigned": [{"pickup": u.pickup.pk, "code": u.code, "reason": u.reason}
                           for u in plan.unassigned if u.pickup is not None],
        }


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
    kg_measured = serializers.DecimalField(
        max_digits=18, decimal_places=3, help_text="The part of `kg` weighed at collection (the rest is estimated).",
    )
    co2e_kg = serializers.DecimalField(max_digits=18, decimal_places=3)
    value_eur = serializers.DecimalField(max_digits=18, decimal_places=2)
    reservations = serializers.IntegerField(help_text="Claims counted.")
    people_helped = serializers.IntegerField(help_text="People the receivers said these claims helped.")


class ImpactGroupSerializer(ImpactFiguresSerializer):
    key = serializers.CharField(allow_null=True)
    label = serializers.CharField()


class ImpactKpiSerializer(serializers.Serializer):
    items_reused = serializers.IntegerField(help_text="Units given away (donations).")
    loans = serializers.IntegerField(help_text="Loans returned.")
    loan_days = serializers.IntegerField(help_text="Days of those loans, summed.")
    kg = serializers.DecimalField(max_digits=18, decimal_places=3)
    kg_measured = serializers.DecimalField(max_digits=18, decimal_places=3, help_text="Of those, kg weighed.")
    kg_measured_share = serializers.DecimalField(
        max_digits=4, decimal_places=1, allow_null=True, help_text="Percent of the kg that were weighed at collection.",
    )
    co2e_kg = serializers.DecimalField(max_digits=18, decimal_places=3)
    value_eur = serializers.DecimalField(max_digits=18, decimal_places=2)
    givers = serializers.IntegerField(help_text="Active giver organisations.")
    receivers = serializers.IntegerField(help_text="Active receiving organisations.")
    people_helped = serializers.IntegerField(help_text="People the receivers said they helped.")
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



#
# On the road
#
class PushKeySerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The VAPID public key, base64url (empty when push is not configured).")


class PushKeysSerializer(serializers.Serializer):
    p256dh = serializers.CharField(max_length=200)
    auth = serializers.CharField(max_length=100)


class PushSubscriptionSerializer(serializers.ModelSerializer):
    endpoint = serializers.URLField(max_length=1000, help_text="https, on a public address.")
    keys = PushKeysSerializer(write_only=True)

    class Meta:
        model = PushSubscription
        fields = ("id", "endpoint", "keys", "created_at", "last_used_at")
        read_only_fields = ("created_at", "last_used_at")
        extra_kwargs = {"endpoint": {"validators": []}}  # an endpoint already known moves to you


class CalendarAddressSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="Private: whoever has it reads your pickups. POST to replace it.")


#
# The département's reporting
#
class CommunesQuerySerializer(ImpactQuerySerializer):
    """``?from=&to=`` and ``side``: the giver's commune (default) or the receiver's."""

    side = serializers.ChoiceField(choices=("giver", "receiver"), default="giver")
    group_by = None


def _last_year() -> int:
    from django.utils import timezone

    return timezone.localdate().year - 1


class AgecQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(
        min_value=2020, max_value=2100, default=_last_year,
        help_text="Calendar year declared (default: last year).",
    )
    siret = serializers.RegexField(
        r"^\d{14}$", required=False, help_text="Only this public body's rows (14 digits).",
        error_messages={"invalid": _("A SIRET number has exactly 14 digits.")},
    )


class FeedbackSerializer(ModelSerializer):
    people_helped = serializers.IntegerField(min_value=0, max_value=1_000_000)
    beneficiary = serializers.ChoiceField(choices=Beneficiary.choices, required=False, allow_blank=True, default="")
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    consent_to_quote = serializers.BooleanField(
        required=False, default=False,
        help_text="The comment may be quoted, without anyone's name, in the département's public reports.",
    )

    class Meta:
        model = DeliveryFeedback
        fields = ("reservation", "people_helped", "beneficiary", "comment", "consent_to_quote", "created_at")
        read_only_fields = ("reservation", "created_at")
