"""Periodic sealing of the global log, run beside the worker.

Seals are what let ``audit verify`` catch whole events deleted or inserted across streams, so an
unsealed tail is the part of the log that is only chain-protected. Every worker runs this loop;
the store's advisory lock makes concurrent sealers safe, so scaling out needs no leader election.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import structlog

from eventstore import seal

log = structlog.get_logger()


async def seal_periodically(
    pool: asyncpg.Pool, *, interval_seconds: float, stop: asyncio.Event
) -> None:
    """Seal whatever became final every ``interval_seconds`` until ``stop`` is set.

    A failed round (the database restarting, say) is logged and retried next round: sealing is
    catch-up by nature, so a missed round loses nothing.
    """
    while not stop.is_set():
        try:
            made = await seal(pool)
        except (asyncpg.PostgresError, OSError) as exc:
            log.warning("sealing_failed", error=type(exc).__name__)
        else:
            if made:
                log.info(
                    "sealed",
                    seals=len(made),
                    events=sum(s.event_count for s in made),
                    last_position=made[-1].last_position,
                )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_seconds)
