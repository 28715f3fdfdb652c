"""The error types of Rebond's workflows and permissions."""

from django.core.exceptions import PermissionDenied


class CodedError(Exception):
    """An error with a machine-readable, stable ``code`` and a ``message`` for people
    (already translated)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class WorkflowError(CodedError):
    """A request that conflicts with the state of things (the API answers 409): ``no_photo``,
    ``not_enough_units``, ``wrong_handover_code``, ``invalid_transition`` …"""


class Forbidden(CodedError, PermissionDenied):
    """A refusal with a code (the API answers 403 ``{"detail", "code"}``): ``forbidden``, or
    ``separation_of_duties`` when the person is on the other side."""
