"""The subscribers' wake-up, sent after appends commit and coalesced.

Why not ``pg_notify`` inside the append: PostgreSQL serialises every committing transaction that
has notified on one cluster-wide lock, held through the commit's WAL flush, so concurrent appends
stopped sharing flushes (group commit) and eight writers appended barely faster than one. Sent
from a statement of its own after the append committed, the wake-up takes that lock only for a
transaction that writes no WAL; and one wake-up covers every append that committed while it
waited, so a busy process sends a few hundred a second, not one per event.

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
    """Sends ``NOTIFY eventstore_appended`` after appends, at most one per ``delay``.

    Args:
        pool: the store's pool.
        delay: seconds a wake-up waits for further appends to cover (the most a subscriber's
            wake-up is delayed by coalescing).
    """

    def __init__(self, pool: asyncpg.Pool, *, delay: float = 0.002) -> None:
        self._pool = pool
        self._delay = delay
        self._scheduled = False
        self._in_flight: set[asyncio.Task[None]] = set()

    def appended(self) -> None:
        """Record that an append committed: a wake-up follows within ``delay``."""
        if self._scheduled:
            return
        self._scheduled = True
        task = asyncio.get_running_loop().create_task(self._send())
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _send(self) -> None:
        try:
            await asyncio.sleep(self._delay)
        finally:
            # Appends that commit from here on are not covered by this wake-up: they schedule
            # the next one.
            self._scheduled = False
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
