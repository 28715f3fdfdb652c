"""DRF permission classes: thin adapters over ``inventory.permissions`` predicates."""

from rest_framework import permissions as drf

from inventory import permissions


class ReadOnlyOrDepartmentManager(drf.IsAuthenticated):
    """Everyone signed in reads; only département managers write (organisations)."""

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        return request.method in drf.SAFE_METHODS or permissions.is_department_manager(request.user)
