from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoolingConfig(AppConfig):
    name = "pooling"
    verbose_name = _("Shared equipment")

    def ready(self):
        from inventory import hooks

        from .services import cancel_open_bookings

        if cancel_open_bookings not in hooks.on_item_closed:
            hooks.on_item_closed.append(cancel_open_bookings)
