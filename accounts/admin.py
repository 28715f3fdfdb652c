"""API tokens (read and revoke only: keys are never shown again) and verified addresses
(an administrator may confirm one, e.g. after checking it by telephone)."""

from django.contrib import admin
from django.utils import timezone
from knox.models import AuthToken

from .models import ApiToken, VerifiedEmail

# knox registers its own token model, which ApiToken replaces (KNOX_TOKEN_MODEL).
if admin.site.is_registered(AuthToken):
    admin.site.unregister(AuthToken)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("token_key", "user", "created", "expiry")
    search_fields = ("user__username", "token_key")
    readonly_fields = ("token_key", "user", "created", "expiry")
    exclude = ("digest", "password_fingerprint")

    def has_add_permission(self, request):
        return False  # a token is fetched by its owner from POST /api/v1/auth/token/

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(VerifiedEmail)
class VerifiedEmailAdmin(admin.ModelAdmin):
    list_display = ("email", "user", "method", "verified_at")
    search_fields = ("email", "user__username")
    raw_id_fields = ("user",)
    fields = ("user",)
    readonly_fields = ()

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # The administrator confirms the account's current address.
        obj.email, obj.method, obj.verified_at = obj.user.email.lower(), VerifiedEmail.Method.ADMIN, timezone.now()
        super().save_model(request, obj, form, change)
