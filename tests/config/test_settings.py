"""The one settings module, read in fresh processes with different environments."""

import json
import os
import secrets
import subprocess
import sys

from django.conf import settings

PROBE = (
    "import json, django; from django.conf import settings as s; django.setup(); "
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], "
    "'layer': s.CHANNEL_LAYERS['default']['BACKEND'], 'debug': s.DEBUG, "
    "'secure_cookie': s.SESSION_COOKIE_SECURE, 'hsts': s.SECURE_HSTS_SECONDS, "
    "'lang': s.LANGUAGE_CODE, 'tz': s.TIME_ZONE, 'hosts': s.ALLOWED_HOSTS}))"
)


def _run(args, **env):
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ENV"}}
    clean.update(DJANGO_SETTINGS_MODULE="config.settings", **env)
    return subprocess.run([sys.executable, *args], cwd=settings.BASE_DIR, env=clean, capture_output=True, text=True)


def _settings(**env):
    result = _run(["-c", PROBE], **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_defaults_are_the_embedded_stack_in_french():
    probe = _settings()
    assert probe["engine"] == "django.db.backends.sqlite3"
    assert probe["layer"] == "api.layers.EmbeddedChannelLayer"
    assert (probe["lang"], probe["tz"]) == ("fr", "Europe/Paris")
    assert probe["secure_cookie"] is False


def test_urls_switch_to_postgresql_and_redis():
    probe = _settings(DATABASE_URL="postgres://u@db.example:5432/rebond", REDIS_URL="redis://cache.example:6379/0")
    assert probe["engine"] == "django.db.backends.postgresql"
    assert probe["layer"] == "channels_redis.core.RedisChannelLayer"


def test_production_requires_a_secret_key():
    result = _run(["manage.py", "check"], DJANGO_ENV="production")
    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr


def test_production_is_secure_and_passes_the_deploy_check():
    env = {"DJANGO_ENV": "production", "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
           "DJANGO_ALLOWED_HOSTS": "rebond.example"}
    probe = _settings(**env)
    assert probe["debug"] is False and probe["secure_cookie"] is True and probe["hsts"] >= 31536000
    assert probe["hosts"] == ["rebond.example"]
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **env)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


HARDENING_PROBE = (
    "import json, django; from django.conf import settings as s; django.setup(); "
    "print(json.dumps({'origins': s.CSRF_TRUSTED_ORIGINS, 'proxy': s.SECURE_PROXY_SSL_HEADER, "
    "'cache': s.CACHES['default']['BACKEND'], 'browser_close': s.SESSION_EXPIRE_AT_BROWSER_CLOSE, "
    "'age': s.SESSION_COOKIE_AGE, 'csrf_secure': s.CSRF_COOKIE_SECURE, 'x_frame': s.X_FRAME_OPTIONS}))"
)


def test_production_takes_hosts_origins_and_proxy_header_from_the_environment():
    result = _run(["-c", HARDENING_PROBE], DJANGO_ENV="production", DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
                  DJANGO_ALLOWED_HOSTS="rebond.example", DJANGO_CSRF_TRUSTED_ORIGINS="https://rebond.example, https://b.example",
                  DJANGO_CACHE_URL="redis://cache.example:6379/1")
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout)
    assert probe["origins"] == ["https://rebond.example", "https://b.example"]
    assert probe["proxy"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert probe["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert probe["browser_close"] is True and probe["age"] == 12 * 3600
    assert probe["csrf_secure"] is True and probe["x_frame"] == "DENY"
