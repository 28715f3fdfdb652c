"""Channel layer for the embedded set-up (one process, no Redis)."""

import time

from channels.layers import InMemoryChannelLayer


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
