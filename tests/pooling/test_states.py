"""The booking pipeline and the ``Pipeline`` mechanism it shares with reservations (no database)."""

import pytest

from exchange import states as reservation_states
from exchange.states import Pipeline
from pooling import states

EDGES = {
    ("requested", "approve"): "approved",
    ("requested", "decline"): "declined",
    ("requested", "cancel"): "cancelled",
    ("approved", "check-out"): "out",
    ("approved", "cancel"): "cancelled",
    ("out", "check-in"): "returned",
}
ACTIONS = ["approve", "decline", "cancel", "check-out", "check-in"]
STATUSES = ["requested", "approved", "out", "returned", "declined", "cancelled"]


@pytest.mark.parametrize(("status", "action"), list(EDGES))
def test_each_edge_of_the_diagram_is_allowed(status, action):
    assert states.BOOKINGS.next_status(status, action) == EDGES[(status, action)]


@pytest.mark.parametrize(("status", "action"), [(s, a) for s in STATUSES for a in ACTIONS if (s, a) not in EDGES])
def test_everything_else_is_refused(status, action):
    assert states.BOOKINGS.next_status(status, action) is None


def test_the_table_names_every_status_and_action():
    assert states.BOOKINGS.statuses == STATUSES
    assert sorted(states.BOOKINGS.actions) == sorted(ACTIONS)


def test_days_are_held_from_request_until_check_in():
    assert states.HOLDING == {"requested", "approved", "out"}
    assert states.OPEN == {"requested", "approved"}  # cancellable: before the item goes out
    assert states.FINAL == {"returned", "declined", "cancelled"}


def test_both_workflows_are_the_same_mechanism():
    assert isinstance(states.BOOKINGS, Pipeline)
    assert isinstance(reservation_states.RESERVATIONS, Pipeline)
    assert reservation_states.next_status("requested", "approve") == "approved"
    assert reservation_states.RESERVATIONS.transitions is reservation_states.TRANSITIONS


def test_a_pipeline_refuses_a_status_without_a_row():
    with pytest.raises(ValueError, match="lost"):
        Pipeline({"new": {"lose": "lost"}})
