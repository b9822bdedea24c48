"""Migrations apply once, in order, and refuse an edited history."""

from __future__ import annotations

import asyncpg
import pytest

from eventstore import MigrationError, migrate
from eventstore.migrate import migration_files


async def test_migrate_applies_every_file_once_and_then_nothing(database_url: str) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        applied = await migrate(connection)
        again = await migrate(connection)
        recorded = await connection.fetch(
            "SELECT name FROM eventstore.schema_migrations ORDER BY name"
        )
    finally:
        await connection.close()

    names = [name for name, _ in migration_files()]
    assert applied == names
    assert names[0] == "0001_event_log.sql"
    assert again == []
    assert [row["name"] for row in recorded] == names


async def test_every_migration_says_why(database_url: str) -> None:
    for name, sql in migration_files():
        assert sql.lstrip().startswith("--"), f"{name} should open with a comment saying why"


async def test_an_edited_migration_is_refused(pool: asyncpg.Pool) -> None:
    await pool.execute(
        "UPDATE eventstore.schema_migrations SET checksum = 'edited' WHERE name = $1",
        "0002_append_only.sql",
    )

    with pytest.raises(MigrationError, match=r"0002_append_only\.sql was changed"):
        await migrate(pool)


async def test_concurrent_migrations_take_turns(database_url: str) -> None:
    import asyncio

    connections = [await asyncpg.connect(database_url) for _ in range(3)]
    try:
        results = await asyncio.gather(*(migrate(c) for c in connections))
    finally:
        for connection in connections:
            await connection.close()

    assert sorted(len(r) for r in results) == [0, 0, len(migration_files())]
