"""The Redis channel layer under a wave of sockets (``api.layers.RedisLayer``).

Against the Redis of ``REDIS_URL`` (CI's PostgreSQL + Redis leg: an unreachable one fails),
else a local Redis on its default port (database 15, flushed), which this machine and CI's
SQLite legs have. Only a machine with no Redis at all (``make test`` on a fresh machine with
only Python, which the embedded set-up needs no Redis for) skips them, saying so."""

import asyncio
import os

import pytest
import redis
from channels_redis.core import RedisChannelLayer
from redis.exceptions import MaxConnectionsError

from api.layers import RedisLayer

URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
WAVE = 300  # sockets connecting at once on one worker: three times redis-py's default pool


@pytest.fixture
def redis_url():
    client = redis.Redis.from_url(URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        if os.environ.get("REDIS_URL"):
            raise  # the Redis this run was given must answer
        pytest.skip(f"no Redis on this machine ({URL}: {error}); the embedded set-up runs without it")
    if not os.environ.get("REDIS_URL"):
        client.flushdb()
    return URL


async def _wave(layer) -> int:
    """WAVE channels join a group at once, one group send, how many got it; all leave at once."""
    group = "wave"
    channels = [await layer.new_channel() for _ in range(WAVE)]
    try:
        await asyncio.gather(*(layer.group_add(group, name) for name in channels))
        await layer.group_send(group, {"type": "rebond.event", "text": "{}"})
        received = await asyncio.wait_for(asyncio.gather(*(layer.receive(name) for name in channels)), 30)
        await asyncio.gather(*(layer.group_discard(group, name) for name in channels))
        return sum(message["type"] == "rebond.event" for message in received)
    finally:
        await layer.flush()
        await layer.close_pools()


async def test_a_wave_of_sockets_joins_hears_and_leaves(redis_url):
    assert await _wave(RedisLayer(hosts=[redis_url])) == WAVE


async def test_the_stock_layer_fails_the_same_wave(redis_url):
    # What dropped sockets with code 1006 (bench/bench_fanout.py): redis-py's pool of 100
    # raises rather than waits. If a release of either library changes that, RedisLayer
    # can go and this test says so.
    with pytest.raises(MaxConnectionsError):
        await _wave(RedisChannelLayer(hosts=[redis_url]))


def test_a_read_outlasts_the_blocking_pop(redis_url):
    layer = RedisLayer(hosts=[redis_url])
    pool = layer.create_pool(0)
    assert pool.connection_kwargs["socket_timeout"] > layer.brpop_timeout
    assert pool.max_connections == RedisLayer.max_connections
