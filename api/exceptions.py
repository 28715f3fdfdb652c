"""One mapping from the domain's errors to HTTP: nothing a client sends ends in a 500.

- ``WorkflowError`` → 409 ``{"detail", "code"}``
- ``Forbidden`` → 403 ``{"detail", "code"}`` (``separation_of_duties`` …); any other Django
  ``PermissionDenied`` → 403 ``{"detail"}`` (the service's message)
- Django ``ValidationError`` → 400 ``{"field": ["…"]}``; a photo refused as too large → 413
- an oversized request body → 413; any other refused request (``SuspiciousOperation``) → 400
- a database constraint that refused the write (a race lost) → 409 ``{"detail", "code"}``
"""

from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from inventory.errors import Forbidden, WorkflowError
from inventory.images import PhotoError


def validation_messages(error: DjangoValidationError, default_field: str | None = None) -> dict:
    """``{"field": ["message", …]}`` in DRF's shape for a Django ``ValidationError``."""
    non_field = api_settings.NON_FIELD_ERRORS_KEY
    if hasattr(error, "error_dict"):
        return {
            (non_field if field == NON_FIELD_ERRORS else field): [str(m) for m in messages]
            for field, messages in error.message_dict.items()
        }
    return {default_field or non_field: [str(m) for m in error.messages]}


def exception_handler(exc, context):
    response = _domain_response(exc)
    if response is not None:
        set_rollback()
        return response
    if isinstance(exc, DjangoPermissionDenied) and exc.args:
        exc = exceptions.PermissionDenied(str(exc))
    return drf_exception_handler(exc, context)


def _domain_response(exc) -> Response | None:
    if isinstance(exc, WorkflowError):
        return Response({"detail": exc.message, "code": exc.code}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, Forbidden):
        return Response({"detail": str(exc.message), "code": exc.code}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, PhotoError):
        code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE if exc.code == "too_large" else status.HTTP_400_BAD_REQUEST
        return Response(validation_messages(exc, default_field="image"), status=code)
    if isinstance(exc, DjangoValidationError):
        return Response(validation_messages(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"detail": _("The request is too large.")}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        )
    if isinstance(exc, SuspiciousOperation):
        return Response({"detail": _("The request could not be read.")}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, IntegrityError):
        return Response(
            {"detail": _("The change conflicts with the current state; reload and try again."), "code": "conflict"},
            status=status.HTTP_409_CONFLICT,
        )
    return None
