"""System checks: production refuses settings that would leak or lose sign-in mail, a
ProConnect configuration that is incomplete or not over HTTPS, and a photo bucket reached
over plain HTTP.

``manage.py check --deploy`` (with ``DJANGO_ENV=production``) reports them as errors, so a
deployment pipeline that runs it with ``--fail-level WARNING`` stops there.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, register

from . import proconnect

UNSAFE_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend": "prints messages on the console",
    "django.core.mail.backends.filebased.EmailBackend": "writes messages to files",
    "django.core.mail.backends.locmem.EmailBackend": "keeps messages in memory",
    "django.core.mail.backends.dummy.EmailBackend": "drops messages",
}


@register(Tags.security, deploy=True)
def production_mail_and_links(app_configs=None, **kwargs):
    if not getattr(settings, "PRODUCTION", False):
        return []
    errors = []
    what = UNSAFE_EMAIL_BACKENDS.get(settings.EMAIL_BACKEND)
    if what:
        errors.append(Error(
            f"EMAIL_BACKEND {settings.EMAIL_BACKEND} {what}: invitations and password resets would never arrive, "
            "and their links would sit in logs or files.",
            hint="Set DJANGO_EMAIL_HOST (and DJANGO_EMAIL_PORT, DJANGO_EMAIL_HOST_USER, DJANGO_EMAIL_HOST_PASSWORD) "
                 "to send by SMTP.",
            id="rebond.E001",
        ))
    if not settings.SITE_URL:
        errors.append(Error(
            "DJANGO_SITE_URL is not set: invitation and password-reset links must not be built from the "
            "request's Host header.",
            hint="Set DJANGO_SITE_URL to the public address, e.g. https://rebond.example/.",
            id="rebond.E002",
        ))
    elif urlsplit(settings.SITE_URL).scheme != "https" or not urlsplit(settings.SITE_URL).netloc:
        errors.append(Error(
            f"DJANGO_SITE_URL {settings.SITE_URL!r} is not an https:// address.",
            hint="Links in e-mails and the ProConnect return address must use HTTPS.",
            id="rebond.E003",
        ))
    return errors


@register(Tags.security)
def proconnect_configuration(app_configs=None, **kwargs):
    given = {
        "PROCONNECT_DISCOVERY_URL": settings.PROCONNECT_DISCOVERY_URL,
        "PROCONNECT_CLIENT_ID": settings.PROCONNECT_CLIENT_ID,
        "PROCONNECT_CLIENT_SECRET": settings.PROCONNECT_CLIENT_SECRET,
    }
    missing = [name for name, value in given.items() if not value]
    if 0 < len(missing) < len(given):
        return [Error(
            f"ProConnect is half configured: {', '.join(missing)} missing.",
            hint="Give the three variables, or none of them to turn ProConnect off.",
            id="rebond.E010",
        )]
    if not missing and not proconnect.url_allowed(settings.PROCONNECT_DISCOVERY_URL):
        return [Error(
            f"PROCONNECT_DISCOVERY_URL {settings.PROCONNECT_DISCOVERY_URL!r} is not an https:// address.",
            hint="http:// is accepted only for a provider on a loopback address with DEBUG on (tests).",
            id="rebond.E011",
        )]
    return []


@register(Tags.security, deploy=True)
def production_bucket_over_https(app_configs=None, **kwargs):
    """Photos and signed transfer records are personal data: in production the S3 endpoint
    (``REBOND_S3_ENDPOINT_URL``; empty means AWS's own, over HTTPS) must be an https:// one."""
    if not getattr(settings, "PRODUCTION", False):
        return []
    storage = settings.STORAGES["default"]
    if storage["BACKEND"] != "config.storage.PrivateS3Storage":
        return []
    endpoint = storage["OPTIONS"].get("endpoint_url")
    if endpoint and urlsplit(endpoint).scheme != "https":
        return [Error(
            f"REBOND_S3_ENDPOINT_URL {endpoint!r} is not an https:// address: photos and transfer records "
            "would cross the network in clear.",
            hint="Use the host's https:// S3 address.",
            id="rebond.E020",
        )]
    return []
