"""The delivery tables' schema (agency inbox, notifications), applied at start-up.

The statements are idempotent (``IF NOT EXISTS``) and run in one transaction under an advisory
lock, so workers starting together apply them once and never see half a schema.
"""

from __future__ import annotations

from importlib import resources

import asyncpg

_LOCK = 0x70617468696E6278  # "pathinbx"


async def migrate_delivery_tables(pool: asyncpg.Pool) -> None:
    """Create the agency inbox and notification tables if they are missing."""
    folder = resources.files("activities") / "migrations"
    scripts = sorted(
        (entry.name, entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".sql")
    )
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", _LOCK)
        for _name, sql in scripts:
            await connection.execute(sql)
