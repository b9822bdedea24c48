"""Opening the database as every pathways process does: migrate, then a pool and the keyring.

One place decides how a process reaches PostgreSQL (which role, which keys), so the worker, the
API, the demo and the CLI cannot drift apart on a promise such as "personal data is wrapped under
a key the database never holds".
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from eventstore import PostgresEventStore, PostgresKeyStore, create_pool, migrate
from eventstore.keyring import Keyring
from workers.integrity_keys import chain_key, seal_keys
from workers.settings import Settings


@dataclass(frozen=True)
class Database:
    """A process's pool and the keys its event store needs."""

    pool: asyncpg.Pool
    keyring: Keyring

    def event_store(self, *, notify: bool = True) -> PostgresEventStore:
        """The event store over this pool, with this process's keys."""
        return PostgresEventStore(
            self.pool,
            PostgresKeyStore(self.pool, master_key=self.keyring.master_key),
            keyring=self.keyring,
            notify=notify,
        )

    async def close(self) -> None:
        """Close the pool."""
        await self.pool.close()


def load_keyring(settings: Settings) -> Keyring:
    """The event store's keys for this process, from settings or the data directory's key files.

    Raises:
        KeyFileError: a key is unreadable or malformed; one line naming the setting.
    """
    signer, verifier = seal_keys(settings)
    return Keyring(chain_key=chain_key(settings), seal_signer=signer, seal_verifier=verifier)


async def prepare_database(pool: asyncpg.Pool) -> list[str]:
    """Bring the event store, the delivery tables and the API's tables (tokens, access log,
    idempotency keys, projections) up to date (safe to run concurrently).

    Returns:
        The migrations applied now.
    """
    from activities.schema import migrate_delivery_tables
    from api.schema import migrate_api_tables

    return [
        *await migrate(pool),
        *await migrate_delivery_tables(pool),
        *await migrate_api_tables(pool),
    ]


async def connect_database(settings: Settings, dsn: str, *, prepare: bool = True) -> Database:
    """Migrate (unless ``prepare`` is false) and open the process's pool; close it when done."""
    keyring = load_keyring(settings)
    pool = await create_pool(dsn)
    try:
        if prepare:
            await prepare_database(pool)
    except BaseException:
        await pool.close()
        raise
    return Database(pool=pool, keyring=keyring)
