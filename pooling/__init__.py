"""Mutualisation: shared equipment that member facilities book by the day.

Why an app of its own rather than more of ``exchange``: a booking is not a claim. A claim
moves units out of a lot for good (or on loan) and lives on the item's counters
(``quantity_reserved``); a booking holds units of an item that never leaves its owner for a
period of days, and its invariant is about calendars — no two bookings hold the same unit on
the same day — with its own rules (notice, longest period, audience), its own QR labels and
its own impact (uses and purchases avoided, kept apart from reuse). It reuses the exchange's
machinery rather than copying it: the state-table ``Pipeline`` (``exchange.states``), the row
lock on the item (``exchange.services.base.lock_item``), events (``exchange.events``),
notifications (``exchange.notifications``) and the impact arithmetic (``exchange.reports``).
The dependency runs one way: ``pooling`` imports ``exchange`` and ``inventory``, never the
reverse (the exchange calls it only through ``inventory.hooks``).
"""
