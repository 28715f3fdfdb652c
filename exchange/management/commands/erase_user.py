from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from exchange import privacy


class Command(BaseCommand):
    help = "Anonymise a user's account (GDPR erasure); reservations, history and impact figures are kept."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args, username: str, yes: bool, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("No user is named “%(name)s”.") % {"name": username})
        if not yes and input(_("Erase “%(name)s” for good? [y/N] ") % {"name": username}).strip().lower() != "y":
            raise CommandError(_("Nothing was erased."))
        privacy.user_erase(actor=None, user=user)
        self.stdout.write(_("“%(name)s” is erased.") % {"name": username})
