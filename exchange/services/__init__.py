"""Writes of the exchange: the reservation workflow, pickups, tours, needs and expiry.

One module a section (``reservations``, ``items``, ``pickups``, ``tours``, ``needs``,
``inbox``, ``expiry``; ``base`` holds the steps they share); import them from here.

Every function is atomic, keyword-only and takes the acting user (``None`` only for the
system: the expiry job). Each transition

1. locks the item row, then the reservation rows (always in that order, so two services
   never wait on each other crosswise) — ``select_for_update`` on PostgreSQL; on SQLite the
   IMMEDIATE transaction already holds the database's write lock;
2. checks permission (``exchange.permissions``) and the pipeline (``exchange.states``);
3. moves the item's counters and status, records history with a reason;
4. publishes its event and sends notifications after commit.

Pages, API, admin, commands and tasks call these; none of them changes a status by hand.
"""

from .expiry import expire_due
from .feedback import agec_flat_rate_set, request_feedback, reservation_feedback_give
from .inbox import notification_settings_save, notifications_mark_read
from .items import item_withdraw
from .needs import announce_item_to_needs, need_close, need_create
from .pickups import pickup_create, pickup_done, pickup_missed, pickup_update
from .reminders import send_reminders
from .reservations import (
    clean_weight,
    reservation_approve,
    reservation_cancel,
    reservation_collect,
    reservation_create,
    reservation_decline,
    reservation_deliver,
    reservation_record_refurbishment,
    reservation_return,
    transfer_exception_grant,
)
from .tours import (
    DayPlan,
    Proposal,
    VehicleChoice,
    tour_create,
    tour_optimise,
    tours_plan,
    unplanned_reason,
    vehicle_save,
)

__all__ = [
    "agec_flat_rate_set", "announce_item_to_needs", "clean_weight", "DayPlan", "expire_due", "item_withdraw",
    "need_close", "need_create", "notification_settings_save", "notifications_mark_read", "pickup_create",
    "pickup_done", "pickup_missed", "pickup_update", "Proposal", "request_feedback", "reservation_approve",
    "reservation_cancel", "reservation_collect", "reservation_create", "reservation_decline",
    "reservation_deliver", "reservation_feedback_give", "reservation_record_refurbishment",
    "reservation_return", "send_reminders", "tour_create", "tour_optimise", "tours_plan",
    "transfer_exception_grant", "unplanned_reason", "vehicle_save", "VehicleChoice",
]
