"""Who changed what and why, for django-simple-history rows written outside a request."""


def attribute(instance, *, actor, reason: str) -> None:
    """Mark the next history row of ``instance`` with the acting user and a reason.

    Services call this before every save: commands, tasks and consumers have no request for
    ``HistoryRequestMiddleware`` to read the user from.
    """
    instance._history_user = actor if actor is not None and actor.is_authenticated else None
    instance._change_reason = _fit(instance, str(reason))


def _fit(instance, reason: str) -> str:
    """The reason cut to the history table's column (a varchar on PostgreSQL, which refuses
    longer text), with an ellipsis: the object itself keeps the whole text."""
    history = getattr(type(instance), "history", None)
    limit = history.model._meta.get_field("history_change_reason").max_length if history is not None else None
    if limit and len(reason) > limit:
        return reason[: limit - 1] + "…"
    return reason
