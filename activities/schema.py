"""The delivery tables' schema (agency inbox, notifications), applied at start-up.

Applied by the event store's migration runner from ``activities/migrations``: the same advisory
lock, one transaction, and checksums that refuse an edited migration.
"""

from __future__ import annotations

import asyncpg

from eventstore import migrate


async def migrate_delivery_tables(pool: asyncpg.Pool) -> list[str]:
    """Create the agency inbox and notification tables if they are missing."""
    return await migrate(pool, package="activities")
