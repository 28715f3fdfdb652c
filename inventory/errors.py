"""The one error type of Rebond's workflows."""


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
