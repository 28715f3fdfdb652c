"""Test overrides: fast hashing, in-memory e-mail and tasks, media in a temporary folder."""

import tempfile
from pathlib import Path

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# A server started by a browser test is told the test's media folder through the environment.
MEDIA_ROOT = env("DJANGO_MEDIA_ROOT") or tempfile.mkdtemp(prefix="rebond-test-media-")  # noqa: F405

# SQLite's default test database lives in shared-cache memory, where concurrent connections
# get "database table is locked" instead of waiting on the busy timeout. A file (one per
# test run, so parallel runs never share it) lets the race tests use real connections.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.mkdtemp(prefix="rebond-test-db-")) / "test.sqlite3"),
    }
