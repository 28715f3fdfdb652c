"""The error types of Rebond's workflows and permissions."""

from django.core.exceptions import PermissionDenied


class WorkflowError(Exception):
    """A request that conflicts with the state of things (the API answers 409).

    ``code`` is machine-readable and stable (``no_photo``, ``not_enough_units``,
    ``wrong_handover_code``, ``invalid_transition`` …); ``message`` is for people and
    already translated.
    """

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class Forbidden(PermissionDenied):
    """A refusal with a machine-readable ``code`` (the API answers 403 ``{"detail", "code"}``):
    ``forbidden``, or ``separation_of_duties`` when the person is on the other side."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return str(self.message)
