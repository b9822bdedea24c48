"""Running the projector: live in a process (``run_projections``) or once (``catch_up``)."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import structlog

from api.projections.projector import Projector, projection_store
from eventstore import Subscription

SUBSCRIPTION_NAME = "projections"
"""The checkpoint key of the projector (one per database; instances take turns per batch)."""

log = structlog.get_logger()


def projection_subscription(
    pool: asyncpg.Pool,
    *,
    projector: Projector | None = None,
    name: str = SUBSCRIPTION_NAME,
    batch_size: int = 500,
    poll_interval: float = 2.0,
) -> Subscription:
    """The subscription that feeds every projection table (all event types, one checkpoint).

    The projector takes each batch whole (``Projector.apply``), as a rebuild does: it groups the
    batch per pathway, so a pathway with several new events is loaded and written once per batch
    rather than once per event. The writes still commit with the checkpoint.
    """
    store = projection_store(pool)
    chosen = projector if projector is not None else Projector(store)
    return Subscription(
        store,
        name,
        batch_handler=chosen.apply,
        batch_size=batch_size,
        poll_interval=poll_interval,
    )


async def catch_up(pool: asyncpg.Pool) -> int:
    """Project every event committed so far and return how many were delivered."""
    return await projection_subscription(pool).catch_up()


async def run_projections(
    pool: asyncpg.Pool,
    stop: asyncio.Event,
    *,
    poll_interval: float = 2.0,
    restart_delay: float = 1.0,
    listening: asyncio.Event | None = None,
) -> None:
    """Keep the projections up to date until ``stop`` is set.

    The subscription is restarted after a failure (a batch that failed rolled back and is
    delivered again), so a lost connection or a rebuild holding the checkpoint only delays it.
    Only the error's type is logged: messages may quote event content.

    Args:
        pool: the process's pool (projection tables migrated, see ``schema``).
        stop: set it to stop after the batch in hand.
        poll_interval: seconds between polls when no notification arrives.
        restart_delay: seconds to wait before restarting after a failure.
        listening: set once the projector listens for new events (tests wait on it).
    """
    projector = Projector(projection_store(pool))
    while not stop.is_set():
        subscription = projection_subscription(
            pool, projector=projector, poll_interval=poll_interval
        )
        watcher = None
        if listening is not None:
            watcher = asyncio.create_task(_relay(subscription.listening, listening))
        try:
            await subscription.run(stop)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, ValueError) as exc:
            log.warning("projections_restarting", error=type(exc).__name__)
            projector.forget()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=restart_delay)
        finally:
            if watcher is not None:
                watcher.cancel()


async def _relay(source: asyncio.Event, target: asyncio.Event) -> None:
    await source.wait()
    target.set()
