"""The projection tables' schema, applied with the event store's checksummed migration runner."""

from __future__ import annotations

import asyncpg

from eventstore import migrate

PACKAGE = "api.projections"


async def migrate_projections(pool: asyncpg.Pool) -> list[str]:
    """Create or update the ``projections`` schema (as the schema owner; safe concurrently).

    Call it from the process's ``prepare_database`` beside the event store's own migrations.
    """
    return await migrate(pool, package=PACKAGE)
