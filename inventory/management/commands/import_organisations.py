from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from inventory.directories import apply_import, plan_import
from inventory.errors import WorkflowError


class Command(BaseCommand):
    help = (
        "Import organisations from a FINESS extraction (EHPAD) or an Annuaire de l'éducation export "
        "(open public collèges). Prints the plan; --apply writes it in one transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--apply", action="store_true", help="Write the plan (default: dry run).")
        parser.add_argument("--dry-run", action="store_true", help="Only print the plan (the default).")
        parser.add_argument("--user", help="Username of the département manager recorded in the history.")

    def handle(self, *args, file: str, apply: bool, dry_run: bool, user: str | None, **options):
        if apply and dry_run:
            raise CommandError(_("Choose --apply or --dry-run, not both."))
        try:
            with open(file, "rb") as stream:
                data = stream.read()
        except OSError as error:
            raise CommandError(str(error)) from error
        plan = plan_import(data)
        if plan.errors:
            raise CommandError(" ".join(plan.errors))
        for row in plan.rows:
            self.stdout.write(f"{row.action:7} line {row.line:>5}  {row.identifier:10} {row.name}  {row.reason}")
        counts = plan.counts
        self.stdout.write(_("%(create)s to create, %(update)s to update, %(skip)s skipped, %(reject)s rejected.")
                          % counts)
        if not apply:
            return
        actor = get_user_model().objects.filter(username=user).first() if user else None
        if actor is None:
            raise CommandError(_("--apply needs --user, the username of a département manager."))
        try:
            done = apply_import(actor=actor, plan=plan)
        except (PermissionDenied, WorkflowError, ValidationError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(_("%(created)s created, %(updated)s updated.") % done))
