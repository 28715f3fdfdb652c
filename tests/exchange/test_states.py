"""The reservation pipeline table, without a database."""

import pytest

from exchange import states

# The diagram of DESIGN.md, edge by edge.
EDGES = {
    ("requested", "approve"): "approved",
    ("requested", "decline"): "declined",
    ("requested", "cancel"): "cancelled",
    ("approved", "schedule"): "scheduled",
    ("approved", "cancel"): "cancelled",
    ("approved", "expire"): "expired",
    ("scheduled", "collect"): "collected",
    ("scheduled", "miss"): "approved",
    ("scheduled", "cancel"): "cancelled",
    ("collected", "deliver"): "delivered",
    ("delivered", "return"): "returned",
}
ACTIONS = ["approve", "decline", "cancel", "schedule", "miss", "collect", "deliver", "return", "expire"]
STATUSES = list(states.TRANSITIONS)


@pytest.mark.parametrize(("status", "action"), list(EDGES))
def test_each_edge_of_the_diagram_is_allowed(status, action):
    assert states.next_status(status, action) == EDGES[(status, action)]


NON_EDGES = [(s, a) for s in STATUSES for a in ACTIONS if (s, a) not in EDGES]


@pytest.mark.parametrize(("status", "action"), NON_EDGES)
def test_everything_else_is_refused(status, action):
    assert states.next_status(status, action) is None


def test_the_table_covers_every_status_and_action():
    assert len(NON_EDGES) + len(EDGES) == 9 * 9


def test_final_statuses_have_no_way_out():
    assert states.FINAL == {"returned", "declined", "cancelled", "expired"}
    for status in states.FINAL:
        assert states.moves_from(status) == []


def test_cancel_is_possible_only_before_collection():
    assert states.OPEN == {"requested", "approved", "scheduled"}


def test_units_are_held_from_claim_to_collection():
    assert states.HOLDING == {"requested", "approved", "scheduled", "collected"}


def test_unknown_names_are_refused():
    assert states.next_status("requested", "teleport") is None
    assert states.next_status("lost", "approve") is None
