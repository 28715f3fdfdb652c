"""``/healthz`` for a load balancer: is this worker able to serve?

It answers 200 ``{"status": "ok", ...}`` when the database answers ``SELECT 1`` and each Redis
in use (the channel layer's ``REDIS_URL``, the shared cache's ``DJANGO_CACHE_URL``) answers
PING within a second; otherwise 503 with the failing part. No sign-in, no session, no
template: cheap enough to be called every few seconds by every balancer.
"""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


_redis_clients = {}  # one client (and pool) per address and process: no connection per probe


def _redis(url: str) -> str:
    import redis

    if url not in _redis_clients:
        _redis_clients[url] = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    _redis_clients[url].ping()
    return "ok"


@never_cache
@require_GET
def healthz(request):
    checks = {"database": _database}
    redis_urls = {"redis": settings.REDIS_URL, "cache": settings.CACHE_URL}
    for name, url in redis_urls.items():
        if url:
            checks[name] = lambda url=url: _redis(url)
    results, healthy = {}, True
    for name, check in checks.items():
        try:
            results[name] = check()
        except Exception as error:  # any failure of a dependency is "not healthy", never a 500
            results[name] = f"error: {type(error).__name__}"
            healthy = False
    for name in redis_urls:
        results.setdefault(name, "not configured")
    return JsonResponse({"status": "ok" if healthy else "unavailable", **results}, status=200 if healthy else 503)
