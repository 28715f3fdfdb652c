"""Inventory resources: declarative serializers; writes go through ``inventory.services``."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from api.fields import OnlyMembershipDefault
from api.pooling.serializers import BookingRulesSerializer
from api.serializers import ModelSerializer
from inventory import permissions
from inventory.models import Category, Item, Membership, Organisation, Photo
from inventory.services import EDITABLE_ITEM_FIELDS
from pooling.models import BookingRules

CONTACT_FIELDS = ("contact_name", "contact_email", "contact_phone")


#
# The user
#
class MembershipSerializer(ModelSerializer):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)

    class Meta:
        model = Membership
        fields = ("organisation", "organisation_name", "role")
        read_only_fields = fields


class MeSerializer(ModelSerializer):
    memberships = MembershipSerializer(many=True, read_only=True)

    class Meta:
        model = get_user_model()
        fields = ("id", "username", "first_name", "last_name", "email", "memberships")
        read_only_fields = fields


#
# Organisations
#
class OrganisationSerializer(ModelSerializer):
    class Meta:
        model = Organisation
        fields = (
            "id", "name", "kind", "legal_status", "siret", "finess", "uai", "address", "postcode", "commune",
            "latitude", "longitude", *CONTACT_FIELDS, "is_reuse_partner", "is_arup", "is_esus",
            "is_certified_refurbisher", "redistributes_to_people_in_need", "internal_first_days", "created_at",
        )
        read_only_fields = ("created_at",)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # Contact details only for the organisation's own members and the département
        # (the view passes which, from inventory.permissions); others get blanks.
        visible = self.context.get("contact_visible_ids", set())
        if visible is not None and instance.pk not in visible:
            for name in CONTACT_FIELDS:
                data[name] = ""
        return data


#
# Categories
#
class CategorySerializer(ModelSerializer):
    name = serializers.CharField(read_only=True, help_text="In the language of the request.")

    class Meta:
        model = Category
        fields = ("id", "parent", "key", "name", "unit_weight_kg", "unit_value_eur", "unit_co2e_kg", "is_medical")
        read_only_fields = fields


#
# Photos
#
class PhotoSerializer(ModelSerializer):
    class Meta:
        model = Photo
        fields = ("id", "image", "thumbnail", "width", "height", "order", "alt_text")
        read_only_fields = ("id", "image", "thumbnail", "width", "height")


class PhotoUploadSerializer(serializers.Serializer):
    image = serializers.FileField(help_text="JPEG, PNG, WebP or HEIC, at most 15 MB.")
    alt_text = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class PhotoUpdateSerializer(serializers.Serializer):
    order = serializers.IntegerField(min_value=0, max_value=32767, required=False)
    alt_text = serializers.CharField(max_length=200, required=False, allow_blank=True)


#
# Items
#
class ItemSerializer(ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(),
        default=OnlyMembershipDefault(permissions.organisations_managing_items),
        help_text="Defaults to your only organisation where you are staff; required when there are several.",
    )
    quantity_available = serializers.IntegerField(read_only=True)
    photos = PhotoSerializer(many=True, read_only=True)
    booking_rules = BookingRulesSerializer(
        required=False, allow_null=True,
        help_text="How a shared item is booked (null for an item to give); PATCH it to change them.",
    )

    class Meta:
        model = Item
        fields = (
            "id", "owner", *EDITABLE_ITEM_FIELDS, "booking_rules", "quantity_available", "status", "photos",
            "published_at", "created_at", "updated_at",
        )
        read_only_fields = ("status", "published_at", "created_at", "updated_at")

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None:
            fields["owner"].read_only = True  # an item never changes hands by an edit
        return fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # A shared item without saved rules is booked with the defaults: show them.
        data["booking_rules"] = BookingRulesSerializer(BookingRules.of(instance)).data if instance.is_shared else None
        return data
