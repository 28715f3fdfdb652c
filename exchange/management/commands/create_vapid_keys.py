"""``manage.py create_vapid_keys``: a new VAPID key pair for Web Push.

Prints the two settings to add to the environment (or write each value to a file and point
``REBOND_VAPID_PRIVATE_KEY_FILE`` / ``REBOND_VAPID_PUBLIC_KEY_FILE`` at it). Changing the
keys later invalidates every browser's subscription: they subscribe again.
"""

from django.core.management.base import BaseCommand

from exchange import push


class Command(BaseCommand):
    help = "Create a VAPID key pair for Web Push and print the settings to set."

    def handle(self, *args, **options):
        private, public = push.generate_vapid_keys()
        self.stdout.write(f"REBOND_VAPID_PRIVATE_KEY={private}")
        self.stdout.write(f"REBOND_VAPID_PUBLIC_KEY={public}")
