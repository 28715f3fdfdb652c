"""OpenAPI: every operation documents the error shapes the exception handler produces."""

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from .idempotency import HEADER as IDEMPOTENCY_HEADER
from .idempotency import IdempotentMixin


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """``Authorization: Token <key>`` (accounts.tokens, hashed knox tokens)."""

    target_class = "accounts.tokens.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class WorkflowErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(help_text="Machine-readable reason: invalid_transition, not_enough_units, …")


# {"field": ["message", …]} or {"detail": "…"}; described as a free-form object of message lists.
VALIDATION_ERROR = {
    "type": "object",
    "additionalProperties": {
        "oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}, {"type": "object"}]
    },
}

CONFLICT = OpenApiResponse(WorkflowErrorSerializer, description="Workflow conflict (see `code`).")
KEY_REUSED = OpenApiResponse(
    WorkflowErrorSerializer, description="`idempotency_key_reused`: the Idempotency-Key came with another request.",
)
IDEMPOTENCY_KEY = OpenApiParameter(
    IDEMPOTENCY_HEADER, OpenApiTypes.STR, location=OpenApiParameter.HEADER, required=False,
    description="A key of your choosing (a UUID; 1 to 255 visible ASCII characters). A repeat with the same key "
    "within 24 hours returns the first answer (with `Idempotent-Replayed: true`) and changes nothing.",
)
TOO_LARGE = OpenApiResponse(VALIDATION_ERROR, description="Upload or request body too large.")


class AutoSchema(openapi.AutoSchema):
    """Adds 400/401/403/404/429 (and 409/413/415 on writes) to every operation that does not
    already describe them, so clients and Schemathesis know every status we may answer."""

    def _idempotent(self) -> bool:
        return self.method == "POST" and isinstance(self.view, IdempotentMixin)

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._idempotent():
            parameters.append(IDEMPOTENCY_KEY)
        return parameters

    def _error_responses(self) -> dict:
        errors = {
            "400": OpenApiResponse(VALIDATION_ERROR, description="Invalid input."),
            "401": OpenApiResponse(ErrorSerializer, description="Not authenticated."),
            "403": OpenApiResponse(ErrorSerializer, description="Not allowed."),
            "404": OpenApiResponse(ErrorSerializer, description="Not found or not visible."),
            "429": OpenApiResponse(ErrorSerializer, description="Too many requests."),
        }
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            errors["409"] = CONFLICT
            errors["413"] = TOO_LARGE
            errors["415"] = OpenApiResponse(ErrorSerializer, description="Unsupported request content type.")
        if self._idempotent():
            errors["422"] = KEY_REUSED
        return errors

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code, response in self._error_responses().items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses
