"""The site's own address, for links that leave the request: e-mails and OpenID Connect.

``DJANGO_SITE_URL`` when set (required in production: a deployment check). Only in
development does a link fall back to the request's address; in production without the
setting, the first allowed host is used — never the Host header a client sent.
"""

from urllib.parse import urljoin, urlsplit

from django.conf import settings


def site_url(request=None) -> str:
    """``https://rebond.example/`` (always ending with a slash)."""
    if settings.SITE_URL:
        return settings.SITE_URL.rstrip("/") + "/"
    production = getattr(settings, "PRODUCTION", False)
    if request is not None and not production:
        return request.build_absolute_uri("/")
    hosts = [host for host in settings.ALLOWED_HOSTS if host and "*" not in host and not host.startswith(".")]
    return f"https://{hosts[0]}/" if hosts else "http://localhost/"


def absolute_url(path: str, request=None) -> str:
    """``path`` (``/accounts/…``) on the site's address."""
    return urljoin(site_url(request), path.lstrip("/"))


def site_parts(request=None) -> tuple[str, str]:
    """``(scheme, host[:port])`` of the site's address (Django's password-reset e-mail)."""
    parts = urlsplit(site_url(request))
    return parts.scheme, parts.netloc
