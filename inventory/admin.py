from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import Category, Commune, Invitation, Item, Membership, Organisation, Photo, SiteSettings


@admin.register(Commune)
class CommuneAdmin(admin.ModelAdmin):
    list_display = ("name", "insee", "postcode")
    search_fields = ("name", "insee", "postcode")


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Organisation)
class OrganisationAdmin(SimpleHistoryAdmin):
    list_display = ("name", "kind", "legal_status", "commune", "is_reuse_partner")
    list_filter = (
        "kind", "legal_status", "is_reuse_partner", "redistributes_to_people_in_need", "is_arup", "is_esus",
        "is_certified_refurbisher", "commune",
    )
    search_fields = ("name", "siret", "finess", "uai", "address", "contact_name")
    autocomplete_fields = ("commune",)
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ("user", "organisation", "role")
    list_filter = ("role", "organisation__kind")
    search_fields = ("user__username", "user__email", "organisation__name")
    autocomplete_fields = ("user", "organisation")


@admin.register(Category)
class CategoryAdmin(SimpleHistoryAdmin):
    list_display = ("name_fr", "key", "parent", "unit_weight_kg", "unit_co2e_kg", "unit_value_eur", "is_medical")
    list_filter = ("is_medical", "weight_basis", "co2e_basis", "value_basis")
    search_fields = ("key", "name_fr", "name_en")


class PhotoInline(admin.TabularInline):
    """Photos are shown, reordered and described here; new ones go through the pipeline
    (the pages and the API), never through a bare file field."""

    model = Photo
    extra = 0
    fields = ("preview", "order", "alt_text", "width", "height")
    readonly_fields = ("preview", "width", "height")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("preview"))
    def preview(self, photo):
        return format_html('<img src="{}" alt="" style="max-height:80px">', photo.thumbnail.url)


@admin.register(Item)
class ItemAdmin(SimpleHistoryAdmin):
    list_display = (
        "title", "owner", "category", "status", "quantity", "quantity_reserved", "quantity_transferred", "created_at",
    )
    list_filter = ("status", "condition", "category", "owner__kind", "owner__commune")
    search_fields = ("title", "description", "inventory_number", "owner__name")
    autocomplete_fields = ("owner", "category", "created_by")
    readonly_fields = (
        "status", "quantity_reserved", "quantity_transferred", "published_at", "created_at", "updated_at",
    )
    date_hierarchy = "created_at"
    list_select_related = ("owner", "category")
    inlines = [PhotoInline]


@admin.register(Photo)
class PhotoAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "item", "order", "width", "height")
    search_fields = ("item__title", "alt_text")
    readonly_fields = ("item", "image", "thumbnail", "width", "height")

    def has_add_permission(self, request):
        return False


@admin.register(Invitation)
class InvitationAdmin(SimpleHistoryAdmin):
    # Read-only: invitations are sent, re-sent and revoked on the Invitations page (the token
    # is only ever e-mailed).
    list_display = ("email", "organisation", "role", "created_at", "expires_at", "accepted_at", "revoked_at")
    list_filter = ("role",)
    search_fields = ("email", "organisation__name")
    exclude = ("token_hash",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SiteSettings)
class SiteSettingsAdmin(SimpleHistoryAdmin):
    list_display = ("claim_expiry_days", "internal_first_days")

    def has_add_permission(self, request):
        return not SiteSettings.objects.exists()  # one row
