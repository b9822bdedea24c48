"""Quarantine: a pathway whose events the projector cannot hold is set aside, not retried forever.

The projector applies each batch inside a savepoint. When a pathway's events fail for a reason
that another try cannot fix (a value PostgreSQL cannot store, a payload the models refuse), the
batch is applied again pathway by pathway, each in a savepoint of its own; the failing pathway's
first fresh event goes into ``projections.quarantine``, its projection rows stay as they were
(shown as stale), and its later events are held back until a retry or a rebuild projects its
whole stream again. Every other pathway keeps flowing. Faults of the database connection are not
poison: they still fail the batch, which the subscription delivers again.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import asyncpg
from pydantic import BaseModel

from domain.errors import DomainError
from eventstore import RecordedEvent
from eventstore.connections import Connection

POISON: tuple[type[BaseException], ...] = (
    asyncpg.DataError,  # out-of-range dates, untranslatable characters, bad input for a column
    asyncpg.IntegrityConstraintViolationError,
    DomainError,
    ValueError,  # pydantic's ValidationError among them
    TypeError,
    KeyError,
)
"""Errors of one pathway's events that another try of the same events cannot fix."""


class QuarantinedPathway(BaseModel, frozen=True):
    """A pathway set aside, with the first event that failed and why."""

    pathway_id: str
    event_id: str
    event_type: str
    stream_version: int
    position: int
    reason: str
    attempts: int
    first_failed_at: datetime
    last_failed_at: datetime


def reason_of(exc: BaseException) -> str:
    """The error's class and SQLSTATE, never its message (which may quote personal data)."""
    sqlstate = getattr(exc, "sqlstate", None)
    return type(exc).__name__ + (f" (SQLSTATE {sqlstate})" if sqlstate else "")


_RECORD_SQL = """
    INSERT INTO projections.quarantine AS q
        (pathway_id, stream_id, event_id, event_type, stream_version, position, reason)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT (pathway_id) DO UPDATE
    SET stream_id = excluded.stream_id, event_id = excluded.event_id,
        event_type = excluded.event_type, stream_version = excluded.stream_version,
        position = excluded.position, reason = excluded.reason,
        attempts = CASE WHEN q.resolved_at IS NULL THEN q.attempts + 1 ELSE 1 END,
        first_failed_at = CASE WHEN q.resolved_at IS NULL THEN q.first_failed_at
                               ELSE clock_timestamp() END,
        last_failed_at = clock_timestamp(), resolved_at = NULL
"""


async def record(
    connection: Connection, pathway_id: str, event: RecordedEvent, exc: BaseException
) -> None:
    """Set ``pathway_id`` aside at ``event`` (its first event that could not be applied)."""
    await connection.execute(
        _RECORD_SQL,
        pathway_id,
        event.stream_id,
        event.event_id,
        event.type,
        event.version,
        event.position,
        reason_of(exc),
    )


async def held(connection: Connection, pathway_ids: Collection[str]) -> set[str]:
    """The pathways among ``pathway_ids`` whose events are held back by an open quarantine."""
    if not pathway_ids:
        return set()
    rows = await connection.fetch(
        "SELECT pathway_id FROM projections.quarantine"
        " WHERE resolved_at IS NULL AND pathway_id = ANY($1::text[])",
        list(pathway_ids),
    )
    return {row["pathway_id"] for row in rows}


async def resolve(connection: Connection, pathway_id: str) -> None:
    """Mark the pathway's quarantine resolved (its whole stream was projected again)."""
    await connection.execute(
        "UPDATE projections.quarantine SET resolved_at = clock_timestamp()"
        " WHERE pathway_id = $1 AND resolved_at IS NULL",
        pathway_id,
    )


async def open_quarantine(connection: Connection, *, limit: int = 100) -> list[QuarantinedPathway]:
    """Pathways set aside and not yet resolved, oldest first."""
    rows = await connection.fetch(
        "SELECT pathway_id, event_id::text AS event_id, event_type, stream_version, position,"
        " reason, attempts, first_failed_at, last_failed_at FROM projections.quarantine"
        " WHERE resolved_at IS NULL ORDER BY first_failed_at, pathway_id LIMIT $1",
        limit,
    )
    return [QuarantinedPathway.model_validate(dict(row)) for row in rows]


async def count_open(connection: Connection) -> int:
    """How many pathways are set aside now."""
    return int(
        await connection.fetchval(
            "SELECT count(*) FROM projections.quarantine WHERE resolved_at IS NULL"
        )
    )
