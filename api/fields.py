"""Serializer fields shared by the API's resources."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers


class OnlyMembershipDefault:
    """Default an organisation field to the user's only fitting membership.

    ``organisations(user)`` is a selector from ``inventory.permissions`` (the one place that
    knows which memberships fit). With several, the client must choose (400); with none, the
    user may not do this at all (403).
    """

    requires_context = True

    def __init__(self, organisations):
        self.organisations = organisations

    def __call__(self, serializer_field):
        user = serializer_field.context["request"].user
        candidates = list(self.organisations(user)[:2])
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            raise exceptions.PermissionDenied(_("You are not a member of an organisation that may do this."))
        raise serializers.ValidationError(_("You belong to several organisations: choose one."), code="required")

    def __repr__(self):
        return f"{type(self).__name__}({self.organisations.__name__})"


class VisiblePrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related id that must be visible to the requesting user (``scope(user)`` is a
    selector), so an invisible object is "does not exist", as in a GET."""

    def __init__(self, scope, **kwargs):
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.scope(self.context["request"].user)
