"""Periodic sealing of the global log and of the access log, run beside the worker.

Seals are what let ``audit verify`` catch whole events deleted or inserted across streams, and
(signed) what a superuser cannot recompute after a rewrite; an unsealed tail is the part of each
log that only its chain protects. Every worker runs this loop; the advisory locks make concurrent
sealers safe, so scaling out needs no leader election.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import structlog

from api.access_log.seals import seal_access_log
from eventstore import SealSigner, seal

log = structlog.get_logger()


async def seal_periodically(
    pool: asyncpg.Pool,
    *,
    interval_seconds: float,
    stop: asyncio.Event,
    signer: SealSigner | None = None,
) -> None:
    """Seal whatever became final in both logs every ``interval_seconds`` until ``stop`` is set.

    A failed round (the database restarting, say) is logged and retried next round: sealing is
    catch-up by nature, so a missed round loses nothing. ``signer`` signs the seals; without one
    they are unsigned, which verify with a verify key reports.
    """
    while not stop.is_set():
        await seal_once(pool, signer=signer)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_seconds)


async def seal_once(pool: asyncpg.Pool, *, signer: SealSigner | None) -> None:
    """One round: seal the event store, then the access log; failures are logged, not raised."""
    try:
        made = await seal(pool, signer=signer)
        access = await seal_access_log(pool, signer=signer)
    except (asyncpg.PostgresError, OSError) as exc:
        log.warning("sealing_failed", error=type(exc).__name__)
        return
    if made or access:
        log.info(
            "sealed",
            seals=len(made),
            events=sum(s.event_count for s in made),
            last_position=made[-1].last_position if made else None,
            access_log_seals=len(access),
            access_log_entries=sum(s.entry_count for s in access),
        )
