"""The store's pool: the reset and the release's task are skipped only when nothing needs them."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from eventstore import create_pool, migrate
from eventstore.pool import StorePool, mark_session_untouched
from tests.integration.eventstore.factories import new_event, stream_name
from tests.keys import keyed_store


async def _backend_and_name(pool: asyncpg.Pool) -> tuple[int, str]:
    async with pool.acquire() as connection:
        row = await connection.fetchrow(
            "SELECT pg_backend_pid() AS pid, current_setting('application_name') AS name"
        )
        mark_session_untouched(connection)
    assert row is not None
    return row["pid"], row["name"]


async def test_an_untouched_connection_returns_without_a_release_task(database_url: str) -> None:
    pool = await create_pool(database_url, min_size=1, max_size=1)
    try:
        assert isinstance(pool, StorePool)
        pid, _ = await _backend_and_name(pool)
        tasks_before = len(asyncio.all_tasks())
        created: list[object] = []
        loop = asyncio.get_running_loop()
        factory = loop.get_task_factory()

        def counting_factory(loop: asyncio.AbstractEventLoop, coro: object, **kw: object) -> object:
            created.append(coro)
            if factory is not None:
                return factory(loop, coro, **kw)  # type: ignore[arg-type]
            return asyncio.Task(coro, loop=loop, **kw)  # type: ignore[arg-type]

        loop.set_task_factory(counting_factory)  # type: ignore[arg-type]
        try:
            assert await _backend_and_name(pool) == (pid, "pathways")
        finally:
            loop.set_task_factory(factory)
        assert created == []  # the shielded path would have made one task
        assert len(asyncio.all_tasks()) == tasks_before
        assert pool.get_idle_size() == 1
    finally:
        await pool.close()


async def test_a_touched_session_is_still_reset(database_url: str) -> None:
    pool = await create_pool(database_url, min_size=1, max_size=1)
    try:
        pid, _ = await _backend_and_name(pool)
        async with pool.acquire() as connection:
            await connection.execute("SET application_name = 'changed'")
        # Same backend, setting back to the pool's default: RESET ALL ran on release.
        assert await _backend_and_name(pool) == (pid, "pathways")
    finally:
        await pool.close()


async def test_an_open_transaction_marked_untouched_is_rolled_back(database_url: str) -> None:
    pool = await create_pool(database_url, min_size=1, max_size=1)
    try:
        await pool.execute("CREATE TEMP TABLE IF NOT EXISTS t (x int)")  # reset drops it again
        connection = await pool.acquire()
        await connection.execute("BEGIN")
        await connection.execute("SELECT 1")
        mark_session_untouched(connection)
        await pool.release(connection)
        async with pool.acquire() as again:
            assert not again.is_in_transaction()
            assert await again.fetchval("SELECT txid_current_if_assigned()") is None
    finally:
        await pool.close()


async def test_cancelled_appends_leave_every_connection_usable(database_url: str) -> None:
    """Appends cancelled at random points: the pool keeps its size and every append lands once."""
    pool = await create_pool(database_url, min_size=2, max_size=2)
    await migrate(pool)
    store = keyed_store(pool)
    stream = stream_name()
    try:
        await store.append(stream, [new_event()], expected_version=0)
        landed = 1
        for delay in [0.0, 0.0001, 0.0003, 0.001, 0.002] * 4:
            task = asyncio.create_task(store.append(stream, [new_event()]))
            await asyncio.sleep(delay)
            task.cancel()
            try:
                await task
                landed += 1
            except asyncio.CancelledError:
                pass
        for _ in range(10):
            await store.append(stream, [new_event()])
            landed += 1
        await store.flush_wake_ups()
        # A cancelled append may still have committed; the stream has no gaps either way.
        versions = [e.version for e in await store.read_stream(stream)]
        assert versions == list(range(1, len(versions) + 1))
        assert len(versions) >= landed
        assert pool.get_size() == 2
        assert pool.get_idle_size() == 2
    finally:
        await pool.close()


@pytest.mark.parametrize("size", [1, 3])
async def test_concurrent_appends_share_a_small_pool(database_url: str, size: int) -> None:
    pool = await create_pool(database_url, min_size=1, max_size=size)
    await migrate(pool)
    store = keyed_store(pool)
    try:
        streams = [stream_name() for _ in range(6)]

        async def writer(stream: str) -> None:
            for version in range(20):
                await store.append(stream, [new_event()], expected_version=version)

        await asyncio.gather(*(writer(s) for s in streams))
        for stream in streams:
            assert await store.stream_version(stream) == 20
        await store.flush_wake_ups()
        assert pool.get_idle_size() == pool.get_size()
    finally:
        await pool.close()
