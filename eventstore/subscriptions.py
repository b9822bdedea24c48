"""Subscriptions: catch up on the global log, then follow it live.

Delivery is at least once, in commit order, to a handler that runs inside the same transaction
that moves the subscription's checkpoint. Effects the handler writes through the connection it is
given therefore commit exactly once with the checkpoint; effects outside PostgreSQL must be
idempotent. LISTEN/NOTIFY only wakes the subscriber early; it always pulls from the log, and a
poll interval is the safety net for lost or missing notifications.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import Any

import asyncpg
import structlog
from pydantic import BaseModel

from eventstore.connections import Connection
from eventstore.events import RecordedEvent
from eventstore.postgres_store import READ_ALL_SQL, START, CommitCursor, PostgresEventStore

NOTIFY_CHANNEL = "eventstore_appended"

Handler = Callable[[Connection, RecordedEvent], Awaitable[None]]
"""Handles one event inside the checkpoint's transaction, through the connection given."""

BatchHandler = Callable[[Connection, Sequence[RecordedEvent]], Awaitable[object]]
"""Handles one batch (in commit order) inside the checkpoint's transaction; its result is unused.

Why a batch form: a read model that groups the batch's events (one read and one write per
affected row instead of one per event) needs to see them together.
"""

log = structlog.get_logger()

_CHECKPOINT_SQL = """
    SELECT last_transaction_id, last_position
    FROM eventstore.subscription_checkpoints WHERE subscription = $1
"""

# Compare-and-set: the checkpoint moves only from the cursor this batch was read after. The row
# lock it takes also makes a second instance of the same subscription wait, then find the
# checkpoint moved and drop its copy of the batch, so instances never handle a batch twice.
_ADVANCE_SQL = """
    INSERT INTO eventstore.subscription_checkpoints AS c
        (subscription, last_transaction_id, last_position, updated_at)
    VALUES ($1, $4, $5, clock_timestamp())
    ON CONFLICT (subscription) DO UPDATE
    SET last_transaction_id = excluded.last_transaction_id,
        last_position = excluded.last_position,
        updated_at = excluded.updated_at
    WHERE (c.last_transaction_id, c.last_position) = ($2::xid8, $3::bigint)
    RETURNING true
"""

_HELD_BACK_SQL = """
    SELECT EXISTS (
        SELECT FROM eventstore.events
        WHERE (transaction_id, position) > ($1::xid8, $2::bigint)
          AND transaction_id >= pg_snapshot_xmin(pg_current_snapshot())
    )
"""

_LAG_SQL = """
    SELECT count(*) AS behind, min(recorded_at) AS oldest,
           extract(epoch FROM clock_timestamp() - min(recorded_at))::float8 AS seconds
    FROM eventstore.events
    WHERE (transaction_id, position) > ($1::xid8, $2::bigint)
      AND ($3::text[] IS NULL OR type = ANY ($3::text[]))
"""

_HORIZON_SQL = """
    SELECT pid, extract(epoch FROM clock_timestamp() - xact_start)::float8 AS seconds
    FROM pg_stat_activity
    WHERE backend_xid IS NOT NULL
    ORDER BY age(backend_xid) DESC
    LIMIT 1
"""


class SubscriptionLag(BaseModel, frozen=True):
    """How far a subscription is behind the log, and what holds the log's horizon."""

    subscription: str
    events_behind: int
    """Committed events after the checkpoint (including those still held back by the horizon)."""
    seconds_behind: float | None
    """Age of the oldest event not yet handled; ``None`` when caught up."""
    horizon_held_by_pid: int | None
    """Backend whose open write transaction is the oldest in the cluster (readers wait for it)."""
    horizon_held_for_seconds: float | None


class Subscription:
    """A named, checkpointed follower of the global log.

    Args:
        store: the store whose log to follow (its pool and decoder are used).
        name: the checkpoint's key; one name per read model or process.
        handler: called for each event, in commit order, inside the batch's transaction.
        batch_handler: instead of ``handler``, called once per batch with all its events, in
            commit order, inside the batch's transaction (give exactly one of the two).
        types: only events of these types are delivered (the checkpoint still advances).
        batch_size: events per transaction.
        poll_interval: seconds between polls when no notification arrives.
    """

    def __init__(
        self,
        store: PostgresEventStore,
        name: str,
        handler: Handler | None = None,
        *,
        batch_handler: BatchHandler | None = None,
        types: Collection[str] | None = None,
        batch_size: int = 500,
        poll_interval: float = 5.0,
    ) -> None:
        if not name:
            raise ValueError("a subscription needs a name")
        if (handler is None) == (batch_handler is None):
            raise ValueError("give a subscription exactly one of handler and batch_handler")
        self._store = store
        self._pool = store.pool
        self.name = name
        self._handler = handler
        self._batch_handler = batch_handler
        self._types = None if types is None else list(types)
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self.listening = asyncio.Event()
        """Set once ``run`` listens for notifications (tests wait on it)."""

    async def checkpoint(self) -> CommitCursor:
        """The commit-order cursor of the last event handled (``START`` if none)."""
        row = await self._pool.fetchrow(_CHECKPOINT_SQL, self.name)
        if row is None:
            return START
        return CommitCursor(int(row["last_transaction_id"]), row["last_position"])

    async def catch_up(self) -> int:
        """Handle every event committed so far (below the horizon); return how many."""
        handled = 0
        while (count := await self._handle_batch()) != 0:
            handled += max(count, 0)
        return handled

    async def _handle_batch(self) -> int:
        """Handle one batch: its size, 0 when caught up, -1 when another instance took it."""
        async with self._pool.acquire() as connection:
            cursor = await self.checkpoint()
            # Read outside any transaction: a transaction with an id of its own would hold the
            # horizon back on itself.
            rows = await connection.fetch(
                READ_ALL_SQL,
                cursor.transaction_id,
                cursor.position,
                self._types,
                self._batch_size,
            )
            if not rows:
                return 0
            events = await self._store.decoder.decode(rows)
            last = rows[-1]
            async with connection.transaction():
                advanced = await connection.fetchval(
                    _ADVANCE_SQL,
                    self.name,
                    cursor.transaction_id,
                    cursor.position,
                    last["transaction_id"],
                    last["position"],
                )
                if not advanced:
                    return -1
                if self._batch_handler is not None:
                    await self._batch_handler(connection, events)
                else:
                    assert self._handler is not None
                    for event in events:
                        await self._handler(connection, event)
            return len(rows)

    async def _held_back(self) -> bool:
        cursor = await self.checkpoint()
        return bool(
            await self._pool.fetchval(_HELD_BACK_SQL, cursor.transaction_id, cursor.position)
        )

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Catch up, then follow the log until ``stop`` is set.

        Handler errors propagate (after their transaction rolled back, so the batch is
        delivered again on the next run): supervise this coroutine and restart it.
        """
        stop = stop if stop is not None else asyncio.Event()
        wake = asyncio.Event()

        def on_notification(*_: Any) -> None:
            wake.set()

        async with self._pool.acquire() as listener:
            await listener.add_listener(NOTIFY_CHANNEL, on_notification)
            self.listening.set()
            try:
                while not stop.is_set():
                    wake.clear()
                    handled = await self.catch_up()
                    if handled:
                        log.debug("subscription_caught_up", subscription=self.name, events=handled)
                    # Committed events still behind the horizon (an older transaction is open)
                    # produce no further notification when it ends: look again soon.
                    timeout = 0.05 if await self._held_back() else self._poll_interval
                    await _first_of(wake, stop, wait_seconds=timeout)
            finally:
                self.listening.clear()
                with contextlib.suppress(asyncpg.InterfaceError, OSError):
                    await listener.remove_listener(NOTIFY_CHANNEL, on_notification)

    async def lag(self) -> SubscriptionLag:
        """Measure how far behind this subscription is."""
        cursor = await self.checkpoint()
        row = await self._pool.fetchrow(
            _LAG_SQL, cursor.transaction_id, cursor.position, self._types
        )
        holder = await self._pool.fetchrow(_HORIZON_SQL)
        assert row is not None
        return SubscriptionLag(
            subscription=self.name,
            events_behind=row["behind"],
            seconds_behind=row["seconds"],
            horizon_held_by_pid=None if holder is None else holder["pid"],
            horizon_held_for_seconds=None if holder is None else holder["seconds"],
        )


async def _first_of(*events: asyncio.Event, wait_seconds: float) -> None:
    waiters = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=wait_seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
