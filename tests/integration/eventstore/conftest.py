"""Fixtures for event store tests: migrated databases and stores over them."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from eventstore import (
    EventStore,
    InMemoryEventStore,
    Keyring,
    PostgresEventStore,
    SealSigner,
    UpcasterRegistry,
    create_pool,
    migrate,
)
from tests.keys import keyed_store


def contract_upcasters() -> UpcasterRegistry:
    """Upcasters the contract suite installs in every store: ``Renamed`` v1 -> v2 -> v3."""
    registry = UpcasterRegistry()

    @registry.upcaster("Renamed", 1)
    def split_name(payload: dict[str, Any]) -> dict[str, Any]:
        first, _, last = payload.pop("name").partition(" ")
        return {**payload, "first": first, "last": last}

    @registry.upcaster("Renamed", 2)
    def add_source(payload: dict[str, Any]) -> dict[str, Any]:
        return {**payload, "source": payload.get("source", "unknown")}

    return registry


def test_keyring() -> Keyring:
    """Fresh keys as a deployment holds them: a chain key and a seal signing key."""
    return Keyring(chain_key=os.urandom(32), seal_signer=SealSigner(os.urandom(32)))


@asynccontextmanager
async def fresh_database(admin_dsn: str) -> AsyncIterator[str]:
    """A new empty database for the duration of the block; yields its DSN."""
    name = f"es_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    parts = urlsplit(admin_dsn)
    try:
        yield urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))
    finally:
        admin = await asyncpg.connect(admin_dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a fresh, migrated database."""
    pool = await create_pool(database_url, min_size=1, max_size=12)
    await migrate(pool)
    yield pool
    await pool.close()


@pytest.fixture
def store(pool: asyncpg.Pool) -> PostgresEventStore:
    """The PostgreSQL store over ``pool``."""
    return keyed_store(pool)


@pytest.fixture(params=["memory", "postgres"])
async def any_store(request: pytest.FixtureRequest, pg_admin_dsn: str) -> AsyncIterator[EventStore]:
    """Each store implementation in turn, with the contract upcasters installed."""
    if request.param == "memory":
        yield InMemoryEventStore(upcasters=contract_upcasters())
        return
    async with fresh_database(pg_admin_dsn) as dsn:
        pool = await create_pool(dsn, min_size=1, max_size=4)
        try:
            await migrate(pool)
            yield keyed_store(pool, upcasters=contract_upcasters())
        finally:
            await pool.close()
