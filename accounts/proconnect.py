"""ProConnect sign-in: OpenID Connect for public agents, with mozilla-django-oidc.

Configured only by ``PROCONNECT_DISCOVERY_URL``, ``PROCONNECT_CLIENT_ID``,
``PROCONNECT_CLIENT_SECRET`` and ``PROCONNECT_ACR_VALUES`` (default ``eidas1``); the provider's
endpoints and keys come from its discovery document, fetched when first needed and cached.

The flow is mozilla-django-oidc's authorization code flow with PKCE (S256), ``state`` and
``nonce`` kept in the session; on top of it this module checks what the library leaves open:
the ID token's signature against the provider's JWKS (asymmetric algorithms only), its
issuer, audience, expiry, nonce and ``acr``; the userinfo answer as JSON or as a signed JWT
(ProConnect signs it), whose ``sub`` must be the ID token's.

Who is signed in (``ProConnectBackend.get_or_create_user``): the active account that proved
it receives mail at the identity's address (``accounts.emails``); otherwise, when invitations
to that address are pending, a new account that accepts them; never a membership without an
invitation. Anyone else is told how to get invited.
"""

import hashlib
import ipaddress
import logging
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from .emails import accounts_with_email, verified_accounts
from .site import absolute_url

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
DISCOVERY_SECONDS = 60 * 60
CLOCK_LEEWAY_SECONDS = 60
# ProConnect's scope names (a generic provider ignores those it does not know).
SCOPES = "openid email given_name usual_name"
ASYMMETRIC_ALGORITHMS = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
DISCOVERY_SUFFIX = "/.well-known/openid-configuration"


class ProviderError(Exception):
    """The provider cannot be reached, or its discovery document or keys are unusable."""


#
# Configuration
#
def is_configured() -> bool:
    return bool(settings.PROCONNECT_DISCOVERY_URL and settings.PROCONNECT_CLIENT_ID
                and settings.PROCONNECT_CLIENT_SECRET)


def _loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_allowed(url: str) -> bool:
    """HTTPS; or HTTP to a loopback address with DEBUG on (a provider started by the tests)."""
    parts = urlsplit(url or "")
    if parts.scheme == "https" and parts.hostname:
        return True
    return parts.scheme == "http" and settings.DEBUG and _loopback(parts.hostname)


def provider_origin() -> str | None:
    """``scheme://host[:port]`` of the provider (for the pages' CSP ``form-action``)."""
    if not is_configured():
        return None
    parts = urlsplit(settings.PROCONNECT_DISCOVERY_URL)
    return f"{parts.scheme}://{parts.netloc}"


def acr_values() -> list[str]:
    return (settings.PROCONNECT_ACR_VALUES or "").split()


def _get_json(url: str) -> dict:
    if not url_allowed(url):
        raise ProviderError(f"refused address {url!r} (https only)")
    try:
        response = requests.get(url, timeout=TIMEOUT_SECONDS)
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as error:
        raise ProviderError(f"{url}: {error}") from error
    if not isinstance(data, dict):
        raise ProviderError(f"{url}: not a JSON object")
    return data


def _cache_key(what: str) -> str:
    return f"proconnect:{what}:" + hashlib.sha256(settings.PROCONNECT_DISCOVERY_URL.encode()).hexdigest()[:24]


def discovery() -> dict:
    """The provider's discovery document, checked (issuer, endpoints over HTTPS), cached."""
    document = cache.get(_cache_key("discovery"))
    if document is not None:
        return document
    url = settings.PROCONNECT_DISCOVERY_URL
    document = _get_json(url)
    for name in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint"):
        if not isinstance(document.get(name), str) or not url_allowed(document[name]):
            raise ProviderError(f"discovery document: {name} missing or not over https")
    expected_issuer = url[: -len(DISCOVERY_SUFFIX)] if url.endswith(DISCOVERY_SUFFIX) else None
    if expected_issuer is not None and document["issuer"].rstrip("/") != expected_issuer.rstrip("/"):
        raise ProviderError(f"discovery document: issuer {document['issuer']!r} is not {expected_issuer!r}")
    end_session = document.get("end_session_endpoint")
    if end_session is not None and (not isinstance(end_session, str) or not url_allowed(end_session)):
        raise ProviderError("discovery document: end_session_endpoint not over https")
    cache.set(_cache_key("discovery"), document, DISCOVERY_SECONDS)
    return document


def _jwks(refresh: bool = False) -> list[dict]:
    keys = None if refresh else cache.get(_cache_key("jwks"))
    if keys is None:
        keys = _get_json(discovery()["jwks_uri"]).get("keys")
        if not isinstance(keys, list):
            raise ProviderError("JWKS without keys")
        cache.set(_cache_key("jwks"), keys, DISCOVERY_SECONDS)
    return keys


def _signing_key(header: dict):
    """The provider's key named by a JWT header (the JWKS is fetched again once if the key is
    unknown: the provider may have rotated its keys)."""
    for refresh in (False, True):
        for jwk in _jwks(refresh=refresh):
            if not isinstance(jwk, dict) or jwk.get("use", "sig") != "sig":
                continue
            if header.get("kid") is not None and jwk.get("kid") != header["kid"]:
                continue
            if jwk.get("alg") not in (None, header["alg"]):
                continue
            try:
                return jwt.PyJWK(jwk, algorithm=header["alg"]).key
            except jwt.PyJWTError:
                continue
    raise SuspiciousOperation("ProConnect: no provider key for this signature")


def _verified_claims(token: str, *, audience_required: bool) -> dict:
    """The claims of a JWT signed by the provider (signature, issuer, audience, dates)."""
    if not isinstance(token, str):
        raise SuspiciousOperation("ProConnect: no token")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise SuspiciousOperation(f"ProConnect: unreadable token ({error})") from error
    allowed = ASYMMETRIC_ALGORITHMS & set(discovery().get("id_token_signing_alg_values_supported") or ["RS256"])
    if header.get("alg") not in allowed:
        raise SuspiciousOperation(f"ProConnect: signature algorithm {header.get('alg')!r} refused")
    key = _signing_key(header)
    options = {"require": ["iss", "aud", "exp", "iat", "sub"] if audience_required else ["sub"],
               "verify_aud": audience_required}
    try:
        claims = jwt.decode(
            token, key, algorithms=[header["alg"]], audience=settings.PROCONNECT_CLIENT_ID,
            issuer=discovery()["issuer"], leeway=CLOCK_LEEWAY_SECONDS, options=options,
        )
    except jwt.ExpiredSignatureError as error:
        raise SuspiciousOperation("ProConnect: token expired") from error
    except jwt.PyJWTError as error:
        raise SuspiciousOperation(f"ProConnect: token refused ({error})") from error
    if not audience_required and "aud" in claims:
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if settings.PROCONNECT_CLIENT_ID not in audiences:
            raise SuspiciousOperation("ProConnect: userinfo for another client")
    return claims


def verify_id_token(token: str, *, nonce: str | None) -> dict:
    """The ID token's claims: signature, issuer, audience, expiry, ``nonce`` and ``acr``."""
    claims = _verified_claims(token, audience_required=True)
    if not nonce or not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
        raise SuspiciousOperation("ProConnect: wrong nonce")
    wanted = acr_values()
    if wanted and claims.get("acr") not in wanted:
        raise SuspiciousOperation(f"ProConnect: acr {claims.get('acr')!r} is not one of {wanted}")
    return claims


def callback_url(request=None) -> str:
    return absolute_url(reverse("proconnect_callback"), request)


def start_url(next_url: str = "") -> str:
    url = reverse("proconnect_start")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def end_session_url(request) -> str | None:
    """Where to send a person signing out, to end the ProConnect session too (or None)."""
    id_token = request.session.get("oidc_id_token")
    if not id_token or not is_configured():
        return None
    try:
        endpoint = discovery().get("end_session_endpoint")
    except ProviderError:
        logger.warning("ProConnect unreachable at sign-out: only the Rebond session ends")
        return None
    if not endpoint:
        return None
    query = urlencode({
        "id_token_hint": id_token, "state": secrets.token_urlsafe(16),
        "post_logout_redirect_uri": absolute_url(reverse(settings.LOGOUT_REDIRECT_URL), request),
    })
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


def recently_signed_in(request, seconds: int = 10 * 60) -> bool:
    """Whether this session signed in with ProConnect within ``seconds`` (a re-authentication)."""
    at = request.session.get("proconnect_auth_at")
    return isinstance(at, (int, float)) and 0 <= time.time() - at <= seconds


#
# mozilla-django-oidc, configured from here rather than from settings
#
def oidc_setting(name: str, *default):
    values = {
        "OIDC_RP_CLIENT_ID": settings.PROCONNECT_CLIENT_ID,
        "OIDC_RP_CLIENT_SECRET": settings.PROCONNECT_CLIENT_SECRET,
        "OIDC_RP_SCOPES": SCOPES,
        "OIDC_AUTHENTICATION_CALLBACK_URL": "proconnect_callback",
        "OIDC_USE_NONCE": True,
        "OIDC_USE_PKCE": True,
        "OIDC_PKCE_CODE_CHALLENGE_METHOD": "S256",
        "OIDC_PKCE_CODE_VERIFIER_SIZE": 64,
        "OIDC_STATE_SIZE": 32,
        "OIDC_NONCE_SIZE": 32,
        "OIDC_STORE_ID_TOKEN": True,  # for the end of the ProConnect session at sign-out
        "OIDC_STORE_ACCESS_TOKEN": False,
        "OIDC_CREATE_USER": False,
        "OIDC_VERIFY_SSL": True,
        "OIDC_TIMEOUT": TIMEOUT_SECONDS,
        "OIDC_PROXY": None,
        "OIDC_ALLOW_UNSECURED_JWT": False,
        "OIDC_REDIRECT_FIELD_NAME": "next",
        "LOGIN_REDIRECT_URL": settings.LOGIN_REDIRECT_URL,
        "LOGIN_REDIRECT_URL_FAILURE": settings.LOGIN_URL,
    }
    if name in values:
        return values[name]
    if default:
        return default[0]
    return getattr(settings, name)


@dataclass
class Outcome:
    """What the callback found, for the page to say (set on the request by the backend)."""

    kind: str = "failed"  # signed_in, joined, unknown, unverified
    email: str = ""
    joined: list = field(default_factory=list)


class ProConnectBackend(OIDCAuthenticationBackend):
    """Signs in a ProConnect identity (never a password: other calls return None)."""

    get_user = ModelBackend.get_user  # inactive accounts stay signed out

    def __init__(self, *args, **kwargs):
        # Django builds every backend for each password sign-in too: read nothing here.
        self.UserModel = get_user_model()

    def get_settings(self, name, *default):
        return oidc_setting(name, *default)

    def authenticate(self, request, **kwargs):
        if request is None or "code_verifier" not in kwargs or "nonce" not in kwargs or not is_configured():
            return None
        document = discovery()
        self.OIDC_OP_TOKEN_ENDPOINT = document["token_endpoint"]
        self.OIDC_OP_USER_ENDPOINT = document["userinfo_endpoint"]
        self.OIDC_OP_JWKS_ENDPOINT = document["jwks_uri"]
        self.OIDC_RP_CLIENT_ID = settings.PROCONNECT_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.PROCONNECT_CLIENT_SECRET
        request.proconnect_outcome = Outcome()
        return super().authenticate(request, **kwargs)

    def get_token(self, payload):
        # The return address the provider knows: from DJANGO_SITE_URL, not the Host header.
        payload = {**payload, "redirect_uri": callback_url(self.request)}
        methods = discovery().get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        if "client_secret_post" not in methods:
            auth = requests.auth.HTTPBasicAuth(payload.pop("client_id"), payload.pop("client_secret"))
        else:
            auth = None
        response = requests.post(self.OIDC_OP_TOKEN_ENDPOINT, data=payload, auth=auth, timeout=TIMEOUT_SECONDS)
        if response.status_code != 200:
            raise SuspiciousOperation(f"ProConnect: token endpoint answered {response.status_code}")
        try:
            answer = response.json()
        except ValueError as error:
            raise SuspiciousOperation("ProConnect: token endpoint answer is not JSON") from error
        if not isinstance(answer, dict) or not answer.get("id_token") or not answer.get("access_token"):
            raise SuspiciousOperation("ProConnect: no ID token or access token")
        return answer

    def verify_token(self, token, **kwargs):
        return verify_id_token(token, nonce=kwargs.get("nonce"))

    def get_userinfo(self, access_token, id_token, payload):
        response = requests.get(
            self.OIDC_OP_USER_ENDPOINT, headers={"Authorization": f"Bearer {access_token}"}, timeout=TIMEOUT_SECONDS,
        )
        if response.status_code != 200:
            raise SuspiciousOperation(f"ProConnect: userinfo answered {response.status_code}")
        if response.headers.get("content-type", "").lower().startswith("application/jwt"):
            claims = _verified_claims(response.text.strip(), audience_required=False)
        else:
            try:
                claims = response.json()
            except ValueError as error:
                raise SuspiciousOperation("ProConnect: userinfo is neither JSON nor a JWT") from error
        if not isinstance(claims, dict) or claims.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("ProConnect: userinfo is about another identity")
        return claims

    def store_tokens(self, access_token, id_token):
        super().store_tokens(access_token, id_token)
        self.request.session["proconnect_auth_at"] = time.time()

    def get_or_create_user(self, access_token, id_token, payload):
        from inventory import invitations
        from inventory.errors import WorkflowError

        claims = self.get_userinfo(access_token, id_token, payload)
        email = claims.get("email")
        if not isinstance(email, str) or "@" not in email or claims.get("email_verified") is False:
            raise SuspiciousOperation("ProConnect: no verified e-mail address")
        email = email.strip().lower()
        outcome = self.request.proconnect_outcome
        outcome.email = email
        accounts = list(verified_accounts(email)[:2])
        if len(accounts) == 1:
            outcome.kind = "signed_in"
            return accounts[0]
        if accounts or accounts_with_email(email).exists():
            outcome.kind = "unverified"  # an address typed by hand proves nothing
            return None
        try:
            user, outcome.joined = invitations.invitation_accept_proconnect(
                email=email, first_name=_text(claims.get("given_name")),
                last_name=_text(claims.get("usual_name") or claims.get("family_name")),
            )
        except WorkflowError:
            outcome.kind = "unknown"
            return None
        outcome.kind = "joined"
        return user


def _text(value) -> str:
    return value.strip()[:150] if isinstance(value, str) else ""


class ProConnectCSPMiddleware:
    """Pages may post their sign-out form to a redirect towards the provider's end of session:
    the provider's origin joins CSP ``form-action`` when ProConnect is configured."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        origin = provider_origin()
        if origin:
            update = dict(getattr(response, "_csp_update", None) or {})
            update["form-action"] = [*update.get("form-action", []), origin]
            response._csp_update = update
        return response
