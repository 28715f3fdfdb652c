"""Workflows as data: a ``Pipeline`` is a table of which action leads where; the reservation
pipeline is defined here, the booking pipeline of shared equipment in ``pooling.states``.

Pure Python (no database, no Django models) so it can be read and tested on its own. Only
the services apply a pipeline, after locking the rows. The reservation pipeline::

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



class Pipeline:
    """A state table ``{status: {action: next status}}`` and the questions asked of it.

    One mechanism for every workflow (reservations here, bookings in ``pooling.states``):
    the services ask ``next_status`` and refuse ``None``; nothing else decides a move.
    """

    def __init__(self, transitions: dict[str, dict[str, str]]):
        targets = {target for actions in transitions.values() for target in actions.values()}
        missing = targets - set(transitions)
        if missing:  # a status one can reach must have a row, even an empty one
            raise ValueError(f"statuses without a row: {sorted(missing)}")
        self.transitions = transitions

    def next_status(self, status: str, action: str) -> str | None:
        """The status ``action`` leads to from ``status``, or None if it is not allowed there."""
        return self.transitions.get(status, {}).get(action)

    def moves_from(self, status: str) -> list[str]:
        """The actions out of ``status`` (whoever takes them)."""
        return list(self.transitions.get(status, {}))

    def statuses_allowing(self, action: str) -> frozenset[str]:
        """The statuses from which ``action`` is a move."""
        return frozenset(status for status, actions in self.transitions.items() if action in actions)

    @property
    def statuses(self) -> list[str]:
        return list(self.transitions)

    @property
    def actions(self) -> list[str]:
        return list(dict.fromkeys(action for actions in self.transitions.values() for action in actions))

    @property
    def final(self) -> frozenset[str]:
        """Statuses that never change again."""
        return frozenset(status for status, actions in self.transitions.items() if not actions)


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
RESERVATIONS = Pipeline(TRANSITIONS)
HOLDING = frozenset({REQUESTED, APPROVED, SCHEDULED, COLLECTED})
OPEN = RESERVATIONS.statuses_allowing(CANCEL)
FINAL = RESERVATIONS.final

# The reservation pipeline's questions, as the reservation code has always asked them.
next_status = RESERVATIONS.next_status
moves_from = RESERVATIONS.moves_from

