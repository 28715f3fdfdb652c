"""Django's Redis cache with one connection pool per process.

Under ASGI, Django builds the ``caches`` objects per request context, and each built its own
Redis client and pool: every request that touched the cache (every API call, for its
throttles) opened a TCP connection to Redis and dropped it. Here the clients are kept per
process, keyed by their servers and options, and shared by every cache object (redis-py's
pools are thread-safe). ``tests/config/test_database_pool.py`` serves requests and counts
the connections.
"""

import threading
from functools import cached_property

from django.core.cache.backends import redis

_clients: dict = {}
_lock = threading.Lock()


class RedisCache(redis.RedisCache):
    @cached_property
    def _cache(self):
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        with _lock:
            if key not in _clients:
                _clients[key] = self._class(self._servers, **self._options)
            return _clients[key]
