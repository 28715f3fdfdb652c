import shutil
import sqlite3
import subprocess

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = (
        "Write a consistent copy of the database to FILE while the app runs: SQLite's online "
        "backup, or pg_dump's custom format for PostgreSQL (restore with pg_restore)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file: str, **options):
        settings_dict = connection.settings_dict
        if connection.vendor == "sqlite":
            source = sqlite3.connect(settings_dict["NAME"])
            target = sqlite3.connect(file)
            with target:
                source.backup(target)  # page by page, consistent even while others write
            source.close()
            target.close()
        elif connection.vendor == "postgresql":
            if shutil.which("pg_dump") is None:
                raise CommandError(_("pg_dump is not installed."))
            command = ["pg_dump", "--format=custom", "--no-owner", f"--file={file}", settings_dict["NAME"]]
            for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
                if settings_dict.get(key):
                    command.insert(1, f"{flag}={settings_dict[key]}")
            env = {"PGPASSWORD": settings_dict["PASSWORD"]} if settings_dict.get("PASSWORD") else None
            result = subprocess.run(command, capture_output=True, text=True, env=env)
            if result.returncode != 0:
                raise CommandError(result.stderr.strip())
        else:
            raise CommandError(_("No backup method for %(vendor)s.") % {"vendor": connection.vendor})
        self.stdout.write(_("Backup written to %(file)s.") % {"file": file})
