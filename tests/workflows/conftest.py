"""A worker of the real product on the session's dev server, with a fresh database per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from temporalio.client import Client

from eventstore import PostgresEventStore, create_pool
from tests.keys import keyed_store
from workers.worker import build_worker, prepare_database


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A migrated pool on this test's own database."""
    pool = await create_pool(database_url)
    await prepare_database(pool)
    yield pool
    await pool.close()


@pytest.fixture
async def running_worker(
    temporal_client: Client, pool: asyncpg.Pool, task_queue: str
) -> AsyncIterator[PostgresEventStore]:
    """A worker on this test's task queue; yields the store it writes to."""
    async with build_worker(temporal_client, pool, task_queue=task_queue, store=keyed_store(pool)):
        yield keyed_store(pool)
