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
    "'lang': s.LANGUAGE_CODE, 'tz': s.TIME_ZONE, 'hosts': s.ALLOWED_HOSTS, "
    "'storage': s.STORAGES['default']}))"
)


def _run(args, **env):
    ignored = {"DATABASE_URL", "REDIS_URL", "DJANGO_ENV"}
    clean = {k: v for k, v in os.environ.items()
             if k not in ignored and not k.startswith(("DJANGO_EMAIL", "DJANGO_SITE_URL", "PROCONNECT", "REBOND_S3"))}
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
    assert probe["storage"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"


def test_urls_switch_to_postgresql_redis_and_a_bucket():
    probe = _settings(DATABASE_URL="postgres://u@db.example:5432/rebond", REDIS_URL="redis://cache.example:6379/0",
                      REBOND_S3_BUCKET="rebond-photos", REBOND_S3_ENDPOINT_URL="https://s3.gra.io.cloud.ovh.net")
    assert probe["engine"] == "django.db.backends.postgresql"
    assert probe["layer"] == "api.layers.RedisLayer"
    assert probe["storage"]["BACKEND"] == "config.storage.PrivateS3Storage"
    assert probe["storage"]["OPTIONS"]["bucket_name"] == "rebond-photos"
    assert probe["storage"]["OPTIONS"]["endpoint_url"] == "https://s3.gra.io.cloud.ovh.net"


def test_production_requires_a_secret_key():
    result = _run(["manage.py", "check"], DJANGO_ENV="production")
    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr


PRODUCTION = {"DJANGO_ENV": "production", "DJANGO_ALLOWED_HOSTS": "rebond.example"}
SMTP = {"DJANGO_EMAIL_HOST": "smtp.rebond.example", "DJANGO_EMAIL_HOST_USER": "rebond",
        "DJANGO_EMAIL_HOST_PASSWORD": "secret", "DJANGO_SITE_URL": "https://rebond.example/"}


def _deploy_check(**env):
    return _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                DJANGO_SECRET_KEY=secrets.token_urlsafe(50), **PRODUCTION, **env)


def test_production_is_secure_and_passes_the_deploy_check_with_smtp():
    env = {**PRODUCTION, **SMTP, "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}
    probe = _settings(**env)
    assert probe["debug"] is False and probe["secure_cookie"] is True and probe["hsts"] >= 31536000
    assert probe["hosts"] == ["rebond.example"]
    result = _deploy_check(**SMTP)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_the_deploy_check_fails_with_the_console_email_backend():
    result = _deploy_check(DJANGO_SITE_URL="https://rebond.example/")

    assert result.returncode != 0
    assert "rebond.E001" in result.stderr and "console" in result.stderr


def test_the_deploy_check_fails_with_a_file_email_backend():
    result = _deploy_check(**SMTP, DJANGO_EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend")

    assert result.returncode != 0 and "rebond.E001" in result.stderr


def test_the_deploy_check_fails_without_the_site_address():
    env = {key: value for key, value in SMTP.items() if key != "DJANGO_SITE_URL"}

    result = _deploy_check(**env)

    assert result.returncode != 0 and "rebond.E002" in result.stderr and "DJANGO_SITE_URL" in result.stderr
    assert "rebond.E003" in _deploy_check(**{**SMTP, "DJANGO_SITE_URL": "http://rebond.example/"}).stderr


def test_the_deploy_check_refuses_a_proconnect_provider_over_http():
    result = _deploy_check(**SMTP, PROCONNECT_DISCOVERY_URL="http://127.0.0.1:9/.well-known/openid-configuration",
                           PROCONNECT_CLIENT_ID="c", PROCONNECT_CLIENT_SECRET="s")

    assert result.returncode != 0 and "rebond.E011" in result.stderr


def test_development_keeps_the_console_backend_without_complaint():
    result = _run(["manage.py", "check", "--fail-level", "WARNING"])

    assert result.returncode == 0, result.stderr


SMTP_PROBE = (
    "import json, django; from django.conf import settings as s; django.setup(); "
    "print(json.dumps({'backend': s.EMAIL_BACKEND, 'host': s.EMAIL_HOST, 'port': s.EMAIL_PORT, "
    "'tls': s.EMAIL_USE_TLS, 'user': s.EMAIL_HOST_USER, 'password': s.EMAIL_HOST_PASSWORD, "
    "'site': s.SITE_URL, 'min_length': s.AUTH_PASSWORD_VALIDATORS[1]['OPTIONS']['min_length']}))"
)


def test_smtp_settings_come_from_the_environment(tmp_path):
    secret = tmp_path / "smtp-password"
    secret.write_text("from-a-file\n")
    result = _run(["-c", SMTP_PROBE], DJANGO_EMAIL_HOST="smtp.rebond.example", DJANGO_EMAIL_PORT="465",
                  DJANGO_EMAIL_HOST_PASSWORD_FILE=str(secret), DJANGO_SITE_URL="https://rebond.example/")
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout)
    assert probe["backend"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (probe["host"], probe["port"], probe["tls"]) == ("smtp.rebond.example", 465, True)
    assert probe["password"] == "from-a-file" and probe["site"] == "https://rebond.example/"
    assert probe["min_length"] == 12


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
    assert probe["cache"] == "config.cache.RedisCache"
    assert probe["browser_close"] is True and probe["age"] == 12 * 3600
    assert probe["csrf_secure"] is True and probe["x_frame"] == "DENY"
