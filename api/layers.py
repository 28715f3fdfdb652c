"""Channel layers: the embedded set-up (one process, no Redis), and Redis for several workers."""

import time

from channels.layers import InMemoryChannelLayer
from channels_redis.core import RedisChannelLayer
from redis.asyncio import BlockingConnectionPool


class EmbeddedChannelLayer(InMemoryChannelLayer):
    """Channels' in-memory layer, sweeping expired messages at most once a second.

    The stock layer sweeps every channel and every group membership on each ``send`` and
    ``receive``, so one ``group_send`` to N connected browsers costs O(N²): about a second
    for 1,000 connections (``bench/bench_fanout.py``). Messages expire after a minute;
    sweeping once a second changes nothing a client can notice.
    """

    sweep_interval = 1.0
    _last_sweep = 0.0

    def _clean_expired(self):
        now = time.monotonic()
        if now - self._last_sweep >= self.sweep_interval:
            self._last_sweep = now
            super()._clean_expired()


class RedisLayer(RedisChannelLayer):
    """channels_redis's layer on a connection pool that waits rather than fails.

    redis-py 8 changed two defaults under channels_redis 4.3. A pool holds at most 100
    connections and raises ``MaxConnectionsError`` beyond: a wave of sockets connecting or
    leaving at once (each ``group_add`` and ``group_discard`` takes a connection) failed. And
    every read times out after 5 s, as long as the layer's blocking pop (``BZPOPMIN``, 5 s), so
    an idle worker's receive sometimes failed with ``TimeoutError``. Either error ended the
    consumer, and Uvicorn dropped the socket (code 1006): 13 of 1,000 in
    ``bench/bench_fanout.py`` with two workers. Here a caller waits up to ``pool_timeout`` for
    one of ``max_connections`` connections, and a read may last the blocking pop plus a margin.
    """

    max_connections = 100
    pool_timeout = 20  # seconds waiting for a free connection before an error
    read_margin = 10  # seconds a read may last beyond the blocking pop

    def create_pool(self, index):
        host = dict(self.hosts[index])
        if "address" not in host:  # sentinels or host/port pairs: channels_redis's own pool
            return super().create_pool(index)
        host.setdefault("max_connections", self.max_connections)
        host.setdefault("timeout", self.pool_timeout)
        host.setdefault("socket_timeout", self.brpop_timeout + self.read_margin)
        return BlockingConnectionPool.from_url(host.pop("address"), **host)
