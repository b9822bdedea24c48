"""The subscribers' wake-up, sent after appends commit and coalesced.

Why not ``pg_notify`` inside the append: PostgreSQL serialises every committing transaction that
has notified on one cluster-wide lock, held through the commit's WAL flush, so concurrent appends
stopped sharing flushes (group commit) and eight writers appended barely faster than one. Sent
from a statement of its own after the append committed, the wake-up takes that lock only for a
transaction that writes no WAL; and one wake-up covers every append that committed while it
waited.

How often: the first append after a quiet spell is followed by a wake-up at once; later ones wait
until ``interval`` has passed since the previous wake-up, so a busy process sends at most one per
interval (100 a second by default), not one per event. Each wake-up costs a round trip on a pooled
connection; sent every 2 ms, as before, they took 5-10% of a single writer's append rate.

Delivery stays what it was: a wake-up carries no data and may be lost (a process that dies right
after its append sends none), so subscribers pull from the log and poll as a safety net.
"""

from __future__ import annotations

import asyncio

import asyncpg
import structlog

from eventstore.pool import mark_session_untouched

NOTIFY_CHANNEL = "eventstore_appended"

log = structlog.get_logger()

_NOTIFY_SQL = "SELECT pg_notify('eventstore_appended', '')"


class WakeUps:
    """Sends ``NOTIFY eventstore_appended`` after appends, at most one per ``interval``.

    Args:
        pool: the store's pool.
        interval: the least time between two wake-ups, in seconds, and so the most by which
            throttling delays a subscriber's wake-up.
    """

    def __init__(self, pool: asyncpg.Pool, *, interval: float = 0.01) -> None:
        self._pool = pool
        self._interval = interval
        self._scheduled = False
        self._next_allowed = 0.0
        self._in_flight: set[asyncio.Task[None]] = set()

    def appended(self) -> None:
        """Record that an append committed: a wake-up follows within ``interval``."""
        if self._scheduled:
            return
        self._scheduled = True
        loop = asyncio.get_running_loop()
        wait = max(0.0, self._next_allowed - loop.time())
        task = loop.create_task(self._send(wait))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _send(self, wait: float) -> None:
        try:
            if wait > 0:
                await asyncio.sleep(wait)
        finally:
            # Appends that commit from here on are not covered by this wake-up: they schedule
            # the next one.
            self._scheduled = False
            self._next_allowed = asyncio.get_running_loop().time() + self._interval
        if self._pool.is_closing():
            return  # shutting down; other processes' subscribers find the events by polling
        try:
            async with self._pool.acquire() as connection:
                await connection.execute(_NOTIFY_SQL)
                mark_session_untouched(connection)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            # Subscribers poll anyway; a lost wake-up only delays them.
            log.warning("eventstore_wake_up_failed", error=type(exc).__name__)

    async def flush(self) -> None:
        """Wait until every wake-up scheduled so far was sent (tests; before closing the pool)."""
        while self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)
