"""``manage.py draw_icons``: redraw the installable app's icons (frontend/icons.py)."""

from django.core.management.base import BaseCommand

from frontend.icons import write_icons


class Command(BaseCommand):
    help = "Draw the web app's icons (192 px, 512 px, maskable, Apple touch) into frontend/static/frontend/icons/."

    def handle(self, *args, **options):
        for path in write_icons():
            self.stdout.write(str(path))
