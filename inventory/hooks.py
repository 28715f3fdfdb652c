"""Explicit extension points of the inventory, filled by other apps in ``AppConfig.ready()``.

The inventory must not import the exchange (which depends on it); the exchange registers
what should happen when an item is published here instead. Not signals: the list is
explicit, and each hook runs inside the publishing transaction, so a failing hook rolls
the publication back.
"""

from collections.abc import Callable

# Called as ``hook(item=item)`` by ``inventory.services.item_publish`` after the item is saved.
on_item_published: list[Callable] = []

# Called as ``hook(item=item, actor=actor, reason=reason)`` when an item is withdrawn or expires
# (``exchange.services.items.close_item``), inside that transaction, the item row locked:
# e.g. the pooling app cancelling the open bookings of a shared item.
on_item_closed: list[Callable] = []
