"""Apply the numbered SQL migrations in ``eventstore/migrations`` exactly once each."""

from __future__ import annotations

import hashlib
import re
from importlib import resources

import asyncpg

from eventstore.connections import Connection
from eventstore.errors import MigrationError

# Why an advisory lock: several processes may start at once (workers, API, CLI) and all migrate
# at start-up; the lock makes them take turns, and the later ones find nothing left to apply.
_MIGRATION_LOCK = 0x7061746877617973  # "pathways"
_NAME = re.compile(r"^\d{4}_[a-z0-9_]+\.sql$")


def migration_files(package: str = "eventstore") -> list[tuple[str, str]]:
    """Return ``(name, sql)`` for every migration of ``package``, in the order they apply.

    The event store's own migrations keep their bare file names; another package's are recorded
    as ``package/file`` so that numbering in different packages never collides.
    """
    folder = resources.files(package) / "migrations"
    names = sorted(entry.name for entry in folder.iterdir() if _NAME.match(entry.name))
    prefix = "" if package == "eventstore" else f"{package}/"
    return [(prefix + name, (folder / name).read_text(encoding="utf-8")) for name in names]


async def migrate(target: asyncpg.Pool | Connection, *, package: str = "eventstore") -> list[str]:
    """Bring the database schema up to date, all in one transaction.

    Args:
        target: a pool or a connection of a role that may create objects in the database.
        package: whose ``migrations/`` folder to apply (the event store's by default; the
            application's delivery tables live in ``activities``).

    Returns:
        The names of the migrations applied now (empty when the schema was already current).

    Raises:
        MigrationError: an applied migration's file has changed since it was applied.
    """
    if isinstance(target, asyncpg.Pool):
        async with target.acquire() as connection:
            return await _migrate(connection, package)
    return await _migrate(target, package)


async def _migrate(connection: Connection, package: str) -> list[str]:
    applied_now: list[str] = []
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
        await connection.execute(
            """
            CREATE SCHEMA IF NOT EXISTS eventstore;
            CREATE TABLE IF NOT EXISTS eventstore.schema_migrations (
                name text PRIMARY KEY,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
            );
            """
        )
        rows = await connection.fetch("SELECT name, checksum FROM eventstore.schema_migrations")
        applied = {row["name"]: row["checksum"] for row in rows}
        for name, sql in migration_files(package):
            checksum = hashlib.sha256(sql.encode()).hexdigest()
            if name in applied:
                if applied[name] != checksum:
                    raise MigrationError(
                        f"migration {name} was changed after it was applied; add a new migration"
                        " instead of editing an applied one"
                    )
                continue
            await connection.execute(sql)
            await connection.execute(
                "INSERT INTO eventstore.schema_migrations (name, checksum) VALUES ($1, $2)",
                name,
                checksum,
            )
            applied_now.append(name)
    return applied_now
