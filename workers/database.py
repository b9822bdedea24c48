"""Opening the database as every pathways process does: migrate, then a pool and the keyring.

One place decides how a process reaches PostgreSQL (which role, which keys), so the worker, the
API, the demo and the CLI cannot drift apart on a promise such as "personal data is wrapped under
a key the database never holds" or "only migrations run as the schema owner".
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import asyncpg

from eventstore import PostgresEventStore, PostgresKeyStore, create_pool, migrate
from eventstore.key_hierarchy import wrap_unwrapped_keys
from eventstore.keyring import Keyring
from workers.database_logins import (
    DatabaseLoginError,
    application_login,
    embedded_password,
    ensure_embedded_login,
    owner_dsn,
)
from workers.integrity_keys import chain_key, seal_keys
from workers.key_encryption_keys import open_key_encryption_keys
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
            PostgresKeyStore(self.pool, key_encryption_keys=self.keyring.key_encryption_keys),
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

    ``pool`` must connect as the schema owner; processes call :func:`migrate_database`.

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


async def migrate_database(settings: Settings, dsn: str) -> list[str]:
    """Apply the migrations over one owner connection, closed afterwards.

    The owner is ``PATHWAYS_DATABASE_OWNER_URL`` when set, else ``dsn``. On the embedded
    PostgreSQL this also creates the processes' login role (or gives it its password again).

    Returns:
        The migrations applied now.

    Raises:
        DatabaseLoginError: the owner DSN's user may not apply the migrations.
    """
    pool = await create_pool(owner_dsn(settings, dsn), min_size=1, max_size=1)
    try:
        try:
            applied = await prepare_database(pool)
        except asyncpg.InsufficientPrivilegeError:
            setting = (
                "PATHWAYS_DATABASE_OWNER_URL"
                if settings.database_owner_url is not None
                else "PATHWAYS_DATABASE_URL"
            )
            raise DatabaseLoginError(
                f"the migrations need the schema owner; {setting} names a login that may not"
                " apply them (set PATHWAYS_DATABASE_OWNER_URL to the owner's DSN)"
            ) from None
        if settings.embedded_postgres:
            async with pool.acquire() as connection:
                await ensure_embedded_login(connection, embedded_password(settings))
    finally:
        await pool.close()
    return applied


async def connect_database(settings: Settings, dsn: str, *, prepare: bool = True) -> Database:
    """Migrate as the owner (unless ``prepare`` is false), then open the process's pool as the
    application's login; close it when done.

    Raises:
        DatabaseLoginError: the configured DSNs cannot give least privilege (one line naming
            the setting).
    """
    keyring = load_keyring(settings)
    if prepare:
        await migrate_database(settings, dsn)
    login = await application_login(settings, dsn)
    pool = await create_pool(login.dsn, role=login.set_role)
    try:
        if prepare:
            # Fail closed: a process that cannot unwrap the data keys refuses to start; keys
            # stored unwrapped before the key hierarchy are wrapped now.
            keys = await open_key_encryption_keys(settings, pool)
            await wrap_unwrapped_keys(pool, keys)
            keyring = replace(keyring, key_encryption_keys=keys)
    except BaseException:
        await pool.close()
        raise
    return Database(pool=pool, keyring=keyring)
