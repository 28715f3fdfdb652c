"""Races with real threads, each on its own database connection, released together."""

import threading

from django.db import connections

from inventory.errors import WorkflowError


def race(calls, *, keep_results: bool = False) -> list:
    """Run each call in its own thread; returns ``"ok"`` for each that returned (or what it
    returned, with ``keep_results``), the ``code`` of a WorkflowError, or the repr of any
    other exception (for the assertion)."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=30)
            result = call()
            outcomes[index] = result if keep_results else "ok"
        except WorkflowError as error:
            outcomes[index] = error.code
        except Exception as error:  # reported in the assertion, not swallowed
            outcomes[index] = repr(error)
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a racer is stuck"
    return outcomes
