"""The API's tables (tokens, access log, idempotency keys, organisations), applied by the event
store's runner."""

from __future__ import annotations

import importlib.util
from importlib import resources

import asyncpg

from eventstore import migrate


async def migrate_api_tables(pool: asyncpg.Pool) -> list[str]:
    """Apply ``api/migrations``, seed the organisation registry and, when present, apply the
    projections' migrations."""
    from api.organisations import seed_organisations

    applied = await migrate(pool, package="api")
    async with pool.acquire() as conn:
        await seed_organisations(conn)
    if importlib.util.find_spec("api.projections") is not None:
        folder = resources.files("api.projections") / "migrations"
        if folder.is_dir():
            applied += await migrate(pool, package="api.projections")
    return applied
