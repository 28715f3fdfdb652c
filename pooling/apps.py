from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoolingConfig(AppConfig):
    name = "pooling"
    verbose_name = _("Shared equipment")

    def ready(self):
        from exchange import calendar, privacy
        from inventory import hooks

        from .calendar import booking_events
        from .selectors import bookings_made_by
        from .services import cancel_open_bookings

        if cancel_open_bookings not in hooks.on_item_closed:
            hooks.on_item_closed.append(cancel_open_bookings)
        if bookings_made_by not in privacy.PERSONAL_DATA_SECTIONS:
            privacy.PERSONAL_DATA_SECTIONS.append(bookings_made_by)
        if booking_events not in calendar.EVENT_SOURCES:
            calendar.EVENT_SOURCES.append(booking_events)
