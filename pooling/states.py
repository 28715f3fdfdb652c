"""The booking pipeline of shared equipment, as data (the ``Pipeline`` of ``exchange.states``)::

    requested ──approve──▶ approved ──check-out──▶ out ──check-in──▶ returned
        ├─decline─▶ declined  └─cancel─▶ cancelled
        └─cancel──▶ cancelled

Pure Python. Only ``pooling.services`` applies it, after locking the item row. Who may take
each action is ``pooling.permissions.booking_refusal``; what a person may do now on one
booking is ``pooling.selectors.booking_actions``.
"""

from exchange.states import Pipeline

# Statuses (the values of ``Booking.Status``).
REQUESTED = "requested"
APPROVED = "approved"
OUT = "out"
RETURNED = "returned"
DECLINED = "declined"
CANCELLED = "cancelled"

# Actions: one service function each (their names are also the API's paths).
APPROVE = "approve"
DECLINE = "decline"
CANCEL = "cancel"
CHECK_OUT = "check-out"
CHECK_IN = "check-in"

BOOKINGS = Pipeline({
    REQUESTED: {APPROVE: APPROVED, DECLINE: DECLINED, CANCEL: CANCELLED},
    APPROVED: {CHECK_OUT: OUT, CANCEL: CANCELLED},
    OUT: {CHECK_IN: RETURNED},
    RETURNED: {},
    DECLINED: {},
    CANCELLED: {},
})

# Statuses whose units are held on their days: a request waits for an answer on them, an
# approved booking has them, an item out is in someone's hands (until it is checked in, even
# late). The exclusion constraint (migration 0002) uses the same list.
HOLDING = frozenset({REQUESTED, APPROVED, OUT})
OPEN = BOOKINGS.statuses_allowing(CANCEL)
FINAL = BOOKINGS.final
