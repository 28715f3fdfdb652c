from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "exchange"
    verbose_name = _("Exchange")

    def ready(self):
        from inventory import hooks

        from .services import announce_item_to_needs

        if announce_item_to_needs not in hooks.on_item_published:
            hooks.on_item_published.append(announce_item_to_needs)
