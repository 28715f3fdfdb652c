"""The reservation pipeline as data: which action leads where, and which side may take it.

Pure Python (no database, no Django models) so it can be read and tested on its own. Only
``exchange.services`` applies it, after locking the reservation and item rows::

    requested ──approve──▶ approved ──schedule──▶ scheduled ──collect──▶ collected ──deliver──▶ delivered
        ├─decline─▶ declined  ├─cancel─▶ cancelled  ├─miss─▶ approved                         │ (loan)
        └─cancel──▶ cancelled └─expire─▶ expired    └─cancel─▶ cancelled                    return ─▶ returned
"""

# Statuses (the values of ``Reservation.Status``; repeated here to keep this module pure).
REQUESTED = "requested"
APPROVED = "approved"
SCHEDULED = "scheduled"
COLLECTED = "collected"
DELIVERED = "delivered"
RETURNED = "returned"
DECLINED = "declined"
CANCELLED = "cancelled"
EXPIRED = "expired"

# Actions: one service function each.
APPROVE = "approve"
DECLINE = "decline"
CANCEL = "cancel"
SCHEDULE = "schedule"
MISS = "miss"
COLLECT = "collect"
DELIVER = "deliver"
RETURN = "return"
EXPIRE = "expire"

# Not a move along the pipeline: recorded once on a delivered medical aid.
REFURBISH = "refurbishment"

TRANSITIONS: dict[str, dict[str, str]] = {
    REQUESTED: {APPROVE: APPROVED, DECLINE: DECLINED, CANCEL: CANCELLED},
    APPROVED: {SCHEDULE: SCHEDULED, CANCEL: CANCELLED, EXPIRE: EXPIRED},
    SCHEDULED: {COLLECT: COLLECTED, MISS: APPROVED, CANCEL: CANCELLED},
    COLLECTED: {DELIVER: DELIVERED},
    DELIVERED: {RETURN: RETURNED},  # loans only; the services check the mode
    RETURNED: {},
    DECLINED: {},
    CANCELLED: {},
    EXPIRED: {},
}

# Who may take each action is ``exchange.permissions.reservation_refusal``; what a person
# may do now on one claim, all rules joined, is ``exchange.selectors.reservation_actions``.

# Statuses whose units are held back from the lot (a delivered loan holds them until it
# comes back); ``OPEN`` ones can still be cancelled; ``FINAL`` ones never change again.
HOLDING = frozenset({REQUESTED, APPROVED, SCHEDULED, COLLECTED})
OPEN = frozenset(status for status, actions in TRANSITIONS.items() if CANCEL in actions)
FINAL = frozenset(status for status, actions in TRANSITIONS.items() if not actions)


def next_status(status: str, action: str) -> str | None:
    """The status ``action`` leads to from ``status``, or None if it is not allowed there."""
    return TRANSITIONS.get(status, {}).get(action)


def moves_from(status: str) -> list[str]:
    """The pipeline's actions out of ``status`` (whoever takes them)."""
    return list(TRANSITIONS.get(status, {}))

