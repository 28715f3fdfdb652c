"""Who changed what and why, for django-simple-history rows written outside a request."""


def attribute(instance, *, actor, reason: str) -> None:
    """Mark the next history row of ``instance`` with the acting user and a reason.

    Services call this before every save: commands, tasks and consumers have no request for
    ``HistoryRequestMiddleware`` to read the user from.
    """
    instance._history_user = actor if actor is not None and actor.is_authenticated else None
    instance._change_reason = reason
