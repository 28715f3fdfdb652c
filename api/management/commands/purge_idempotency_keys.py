"""``manage.py purge_idempotency_keys``: forget the answers to ``Idempotency-Key`` older than 24 hours.

Run it once a day with ``expire`` (older keys are already ignored; this only frees the rows).
"""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from api.idempotency import purge_expired


class Command(BaseCommand):
    help = "Delete the stored answers to Idempotency-Key requests older than 24 hours."

    def handle(self, *args, **options):
        self.stdout.write(_("Idempotency keys purged: %(n)s") % {"n": purge_expired()})
