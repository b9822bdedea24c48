"""Rebuild the projections from position zero, in one transaction.

Why one transaction: readers keep seeing the old rows (MVCC) until the rebuilt rows commit all at
once, and the rows commit together with the reset checkpoint, so the live projector resumes
exactly after the last event the rebuild handled. The rebuild first takes the checkpoint row's
lock; a live projector's next batch then waits at its compare-and-set, finds the checkpoint moved
when the rebuild commits, and drops its copy of that batch (it restarts under ``run_projections``
if its lock wait times out).

The cost of one transaction: while it runs it holds the log's horizon, so every subscriber in the
cluster waits for it. Rebuild is an operator's action on a quiet system; a shadow-table rebuild
with an atomic swap would avoid the pause and is the step to take when rebuilds must run under
load (see the report in issue #5).
"""

from __future__ import annotations

import time

import asyncpg

from api.projections import quarantine
from api.projections.models import RebuildReport, RetryReport
from api.projections.projector import Projector, projection_store
from api.projections.runner import SUBSCRIPTION_NAME
from api.projections.tables import ALL_TABLES
from eventstore.postgres_store import READ_ALL_SQL, START, CommitCursor

_SET_CHECKPOINT_SQL = """
    INSERT INTO eventstore.subscription_checkpoints AS c
        (subscription, last_transaction_id, last_position, updated_at)
    VALUES ($1, $2::text::xid8, $3, clock_timestamp())
    ON CONFLICT (subscription) DO UPDATE
    SET last_transaction_id = excluded.last_transaction_id,
        last_position = excluded.last_position,
        updated_at = excluded.updated_at
"""


async def rebuild(
    pool: asyncpg.Pool, *, name: str = SUBSCRIPTION_NAME, batch_size: int = 2000
) -> RebuildReport:
    """Drop every projection row and the checkpoint, and re-project the log from zero.

    Args:
        pool: a pool on the projections' database (migrated).
        name: the live projector's subscription name, whose checkpoint is reset.
        batch_size: events read per query.
    """
    started = time.monotonic()
    store = projection_store(pool)
    projector = Projector(store)
    events = 0
    cursor = START
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(_SET_CHECKPOINT_SQL, name, str(START.transaction_id), 0)
        # Everything is projected again from zero: what still cannot be held is set aside anew.
        await connection.execute("DELETE FROM projections.quarantine")
        for table in ALL_TABLES:
            await connection.execute(f"DELETE FROM {table.qualified}")  # noqa: S608 - constant
        while True:
            rows = await connection.fetch(
                READ_ALL_SQL, cursor.transaction_id, cursor.position, None, batch_size
            )
            if not rows:
                break
            await projector.apply(connection, await store.decoder.decode(rows))
            events += len(rows)
            cursor = CommitCursor(int(rows[-1]["transaction_id"]), rows[-1]["position"])
        await connection.execute(
            _SET_CHECKPOINT_SQL, name, str(cursor.transaction_id), cursor.position
        )
        pathways = await connection.fetchval("SELECT count(*) FROM projections.caseload")
        quarantined = await quarantine.count_open(connection)
    return RebuildReport(
        events=events,
        pathways=int(pathways),
        seconds=round(time.monotonic() - started, 3),
        quarantined=quarantined,
    )


async def retry_quarantined(pool: asyncpg.Pool, *, pathway_id: str | None = None) -> RetryReport:
    """Project each quarantined pathway's whole stream again (after the cause was fixed).

    Each pathway is retried in a transaction of its own: one that still fails stays set aside
    (its attempts counted) and does not hold back the others.
    """
    projector = Projector(projection_store(pool))
    resolved: list[str] = []
    still: list[str] = []
    async with pool.acquire() as connection:
        waiting = await quarantine.open_quarantine(connection, limit=100_000)
    for item in waiting:
        if pathway_id is not None and item.pathway_id != pathway_id:
            continue
        async with pool.acquire() as connection, connection.transaction():
            stream = await connection.fetchval(
                "SELECT stream_id FROM projections.quarantine WHERE pathway_id = $1",
                item.pathway_id,
            )
            try:
                async with connection.transaction():
                    await projector.reproject(connection, item.pathway_id, stream)
            except quarantine.POISON as exc:
                events = await projector.store.read_stream(stream, from_version=item.stream_version)
                await quarantine.record(connection, item.pathway_id, events[0], exc)
                still.append(item.pathway_id)
                continue
            await quarantine.resolve(connection, item.pathway_id)
            resolved.append(item.pathway_id)
    return RetryReport(resolved=resolved, still_quarantined=still)
