import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test import override_settings
from django.utils.translation import gettext as _

from exchange.demo import DEMO_STEPS, build_demo_history, build_demo_workflow
from exchange.eligibility import claim_refusal
from inventory import demo
from inventory.models import Item, Membership, Organisation
from pooling.demo import build_demo_sharing

# The demo's notifications are real rows; their e-mails would only flood the console.
QUIET_MAIL = "django.core.mail.backends.dummy.EmailBackend"


class Command(BaseCommand):
    help = "Load a small demo Val-de-Marne (idempotent); --items N adds N bulk items for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--items", type=int, default=0, help="Number of extra items to bulk-insert.")

    def handle(self, *args, items: int, **options):
        if items < 0:
            raise CommandError(_("--items must be zero or more."))
        try:
            with override_settings(EMAIL_BACKEND=QUIET_MAIL), transaction.atomic():
                data = demo.build_demo()
                if data.created:
                    # Claims at every step of the pipeline, made through the exchange services.
                    association = Membership.objects.get(
                        user=data.users["coordinator"], role=Membership.Role.COORDINATOR).organisation
                    claimable = [
                        item for item in data.items
                        if item.status == Item.Status.AVAILABLE and not item.is_shared
                        and claim_refusal(item=item, receiver=association) is None
                    ]
                    build_demo_workflow(items=claimable[:len(DEMO_STEPS)], users=data.users)
                    build_demo_history(items=claimable[len(DEMO_STEPS):], users=data.users)
                    # Shared equipment: rules, a label and bookings on the items offered to share.
                    build_demo_sharing(items=[item for item in data.items if item.is_shared], users=data.users)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if data.created:
            self.stdout.write(self.style.SUCCESS(
                _("Demo loaded: %(orgs)s organisations, %(users)s users, %(items)s items.")
                % {"orgs": len(data.organisations), "users": len(data.users), "items": len(data.items)}
            ))
        else:
            self.stdout.write(_("The demo is already loaded; nothing was duplicated."))
        if items:
            started = time.perf_counter()
            added = demo.add_bulk_items(count=items)  # the demo exists by now, so this cannot clash
            elapsed = time.perf_counter() - started
            self.stdout.write(self.style.SUCCESS(
                _("Added %(n)s bulk items in %(s).1f s (%(rate)s items/s).")
                % {"n": added, "s": elapsed, "rate": int(added / elapsed) if elapsed else added}
            ))
        self._summary()

    def _summary(self) -> None:
        self.stdout.write(
            _("Organisations: %(orgs)s; items: %(items)s (%(available)s available, %(draft)s drafts).")
            % {
                "orgs": Organisation.objects.count(),
                "items": Item.objects.count(),
                "available": Item.objects.filter(status=Item.Status.AVAILABLE).count(),
                "draft": Item.objects.filter(status=Item.Status.DRAFT).count(),
            }
        )
        self.stdout.write(_("Logins (password “%(password)s”):") % {"password": demo.DEMO_PASSWORD})
        for username, first, last, org_key, role in demo.LOGINS:
            organisation = next(spec.name for spec in demo.ORGANISATIONS if spec.key == org_key)
            self.stdout.write(f"  {username:<14} {first} {last} – {Membership.Role(role).label}, {organisation}")
        self.stdout.write(f"  {demo.ADMIN_USERNAME:<14} " + _("Django superuser (/admin/)"))
        self.stdout.write("  " + _("Each other facility has a staff login “staff-<key>”, e.g. “%(example)s”.")
                          % {"example": demo.staff_username(demo.facilities_without_login()[0].key)})
