"""An append whose connection dies mid-commit, then retried, is stored exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import asyncpg
import pytest

from eventstore import NewEvent, PostgresEventStore
from tests.integration.eventstore.factories import new_event, stream_name

# What a client may see when its backend is terminated under it.
CONNECTION_LOST = (
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.AdminShutdownError,
    asyncpg.InterfaceError,
    ConnectionError,
)


async def wait_for(condition: Callable[[], Awaitable[bool]], seconds: float = 10.0) -> None:
    async with asyncio.timeout(seconds):
        while True:
            if await condition():
                return
            await asyncio.sleep(0.01)


async def count_stored(pool: asyncpg.Pool, events: list[NewEvent]) -> int:
    return int(
        await pool.fetchval(
            "SELECT count(*) FROM eventstore.events WHERE event_id = ANY($1::uuid[])",
            [e.event_id for e in events],
        )
    )


@asynccontextmanager
async def commits_waiting_for_a_standby(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """Make every synchronous commit in the cluster wait for a standby that never comes.

    Such a commit is already durable and final locally, but its client has not been told: the
    exact moment "mid-commit" at which a killed connection leaves the caller in doubt. Yields a
    control connection that does not wait itself (synchronous_commit = local).
    """
    control = await asyncpg.connect(database_url, server_settings={"synchronous_commit": "local"})
    await control.execute("ALTER SYSTEM SET synchronous_standby_names = 'pathways_never'")
    await control.execute("SELECT pg_reload_conf()")
    try:
        yield control
    finally:
        await control.execute("ALTER SYSTEM RESET synchronous_standby_names")
        await control.execute("SELECT pg_reload_conf()")

        async def reset_seen() -> bool:
            probe = await asyncpg.connect(database_url)
            try:
                return bool(await probe.fetchval("SHOW synchronous_standby_names") == "")
            finally:
                await probe.close()

        await wait_for(reset_seen)
        await control.close()


async def test_an_append_killed_after_its_commit_record_is_not_duplicated_by_the_retry(
    store: PostgresEventStore, pool: asyncpg.Pool, database_url: str
) -> None:
    stream = stream_name()
    await store.append(stream, [new_event(n=0)])
    events = [new_event(n=1), new_event(n=2)]

    async with asyncio.timeout(60), commits_waiting_for_a_standby(database_url) as control:
        victim = await asyncpg.connect(database_url)

        async def victim_sees_setting() -> bool:
            return bool(await victim.fetchval("SHOW synchronous_standby_names") == "pathways_never")

        await wait_for(victim_sees_setting)
        pid = victim.get_server_pid()
        attempt = asyncio.create_task(store.append(stream, events, connection=victim))

        async def waiting_for_standby() -> bool:
            state = await control.fetchval(
                "SELECT wait_event FROM pg_stat_activity WHERE pid = $1", pid
            )
            return bool(state == "SyncRep")

        await wait_for(waiting_for_standby)
        assert await control.fetchval("SELECT pg_terminate_backend($1)", pid)
        with pytest.raises(CONNECTION_LOST):
            await attempt
        await victim.close()
        # The caller saw an error, yet the commit happened: the events are there.
        stored = await control.fetchval(
            "SELECT count(*) FROM eventstore.events WHERE event_id = ANY($1::uuid[])",
            [e.event_id for e in events],
        )
        assert stored == 2

        # The activity's retry: same events, same (now stale) expected version.
        retry_connection = await asyncpg.connect(
            database_url, server_settings={"synchronous_commit": "local"}
        )
        try:
            retried = await store.append(
                stream, events, expected_version=1, connection=retry_connection
            )
        finally:
            await retry_connection.close()

    assert (retried.first_version, retried.last_version) == (2, 3)
    assert await count_stored(pool, events) == 2
    assert [e.payload["n"] for e in await store.read_stream(stream)] == [0, 1, 2]


async def test_an_append_killed_before_it_committed_is_stored_once_by_the_retry(
    store: PostgresEventStore, pool: asyncpg.Pool, database_url: str
) -> None:
    stream = stream_name()
    await store.append(stream, [new_event(n=0)])
    events = [new_event(n=1)]
    blocker = await asyncpg.connect(database_url)
    victim = await asyncpg.connect(database_url)
    blocking = blocker.transaction()
    await blocking.start()
    await blocker.execute(
        "SELECT 1 FROM eventstore.streams WHERE stream_id = $1 FOR UPDATE", stream
    )
    pid = victim.get_server_pid()
    attempt = asyncio.create_task(store.append(stream, events, connection=victim))

    async def waiting_for_lock() -> bool:
        state = await pool.fetchval(
            "SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1", pid
        )
        return bool(state == "Lock")

    await wait_for(waiting_for_lock)
    await pool.execute("SELECT pg_terminate_backend($1)", pid)
    with pytest.raises(CONNECTION_LOST):
        await attempt
    await blocking.rollback()
    await blocker.close()
    await victim.close()
    assert await count_stored(pool, events) == 0

    retried = await store.append(stream, events, expected_version=1)

    assert retried.last_version == 2
    assert await count_stored(pool, events) == 1


async def test_appends_killed_at_random_moments_are_stored_exactly_once_after_retry(
    store: PostgresEventStore, pool: asyncpg.Pool, database_url: str
) -> None:
    rng = random.Random()
    stream = stream_name()
    version = 0
    for trial in range(25):
        events = [new_event(trial=trial, k=k) for k in range(rng.randint(1, 5))]
        victim = await asyncpg.connect(database_url)
        pid = victim.get_server_pid()
        attempt = asyncio.create_task(store.append(stream, events, connection=victim))
        await asyncio.sleep(rng.uniform(0, 0.004))
        await pool.execute("SELECT pg_terminate_backend($1)", pid)
        # Whatever the killed attempt reports (success, lost connection, a confused client), only
        # the end state after the retry matters.
        with contextlib.suppress(Exception):
            await attempt
        # Not close(): when the kill lands after the attempt finished, the client still thinks
        # the connection is open and close() writes its goodbye into a broken socket.
        victim.terminate()

        retried = await store.append(stream, events, expected_version=version)

        assert await count_stored(pool, events) == len(events)
        assert retried.first_version == version + 1
        version = retried.last_version
    assert [e.version for e in await store.read_stream(stream)] == list(range(1, version + 1))
    assert (await store.verify()).ok
