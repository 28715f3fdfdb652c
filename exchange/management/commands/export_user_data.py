import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from exchange import privacy


class Command(BaseCommand):
    help = "Print, as JSON, the personal data Rebond holds about a user (GDPR access request)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("No user is named “%(name)s”.") % {"name": username})
        self.stdout.write(json.dumps(privacy.personal_data(user), ensure_ascii=False, indent=2))
