"""Subscriptions: catch up, then follow live; checkpoint and effects commit together."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncpg
import pytest

from eventstore import PostgresEventStore, RecordedEvent, Subscription
from eventstore.connections import Connection
from eventstore.subscriptions import NOTIFY_CHANNEL
from eventstore.wakeups import WakeUps
from tests.integration.eventstore.factories import new_event, stream_name


@pytest.fixture
async def projection(pool: asyncpg.Pool) -> str:
    """A read-model table; its primary key turns any double delivery into an error."""
    await pool.execute(
        "CREATE TABLE projection (event_id uuid PRIMARY KEY, stream_id text, n integer)"
    )
    return "projection"


async def project(connection: Connection, event: RecordedEvent) -> None:
    await connection.execute(
        "INSERT INTO projection VALUES ($1, $2, $3)",
        event.event_id,
        event.stream_id,
        event.payload.get("n"),
    )


async def projected(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM projection"))


async def eventually(condition: Callable[[], Awaitable[bool]], seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while True:
            if await condition():
                return
            await asyncio.sleep(0.01)


async def test_catches_up_then_is_woken_by_notifications(
    store: PostgresEventStore, pool: asyncpg.Pool, projection: str
) -> None:
    stream = stream_name()
    await store.append(stream, [new_event(n=n) for n in range(5)])
    # A poll interval far longer than the test: only a notification can wake it in time.
    subscription = Subscription(store, "live", project, poll_interval=600)
    stop = asyncio.Event()
    running = asyncio.create_task(subscription.run(stop))
    try:
        await eventually(lambda: _equals(projected(pool), 5))
        await asyncio.wait_for(subscription.listening.wait(), 5)
        await store.append(stream, [new_event(n=5), new_event(n=6)])
        await eventually(lambda: _equals(projected(pool), 7))
    finally:
        stop.set()
        await asyncio.wait_for(running, 5)

    (last,) = await store.read_stream(stream, from_version=7)
    assert (await subscription.checkpoint()).position == last.position
    lag = await subscription.lag()
    assert (lag.events_behind, lag.seconds_behind) == (0, None)


async def _equals(value: Awaitable[int], expected: int) -> bool:
    return await value == expected


async def test_a_failing_handler_rolls_back_its_writes_and_its_checkpoint(
    store: PostgresEventStore, pool: asyncpg.Pool, projection: str
) -> None:
    stream = stream_name()
    await store.append(stream, [new_event(n=n) for n in range(4)])

    async def fails_on_two(connection: Connection, event: RecordedEvent) -> None:
        await project(connection, event)
        if event.payload["n"] == 2:
            raise RuntimeError("handler bug")

    with pytest.raises(RuntimeError, match="handler bug"):
        await Subscription(store, "read-model", fails_on_two).catch_up()
    assert await projected(pool) == 0  # the batch's first writes were rolled back too
    assert (await Subscription(store, "read-model", project).checkpoint()).position == 0

    # Fixed handler, same checkpoint: every event's effect lands exactly once.
    assert await Subscription(store, "read-model", project).catch_up() == 4
    assert await projected(pool) == 4


async def test_competing_instances_never_handle_an_event_twice(
    store: PostgresEventStore, pool: asyncpg.Pool, projection: str
) -> None:
    for _ in range(20):
        await store.append(stream_name(), [new_event(n=n) for n in range(5)])
    instances = [Subscription(store, "shared", project, batch_size=7) for _ in range(3)]

    await asyncio.gather(*(instance.catch_up() for instance in instances))

    assert await projected(pool) == 100


async def test_type_filters_deliver_only_those_types(
    store: PostgresEventStore, pool: asyncpg.Pool, projection: str
) -> None:
    await store.append(stream_name(), [new_event("A", n=1), new_event("B", n=2), new_event("A")])

    handled = await Subscription(store, "only-a", project, types={"A"}, batch_size=1).catch_up()

    assert handled == 2
    assert await projected(pool) == 2


async def test_lag_counts_unhandled_events_and_names_the_transaction_holding_readers_back(
    store: PostgresEventStore, pool: asyncpg.Pool, projection: str
) -> None:
    stream = stream_name()
    await store.append(stream, [new_event(n=n) for n in range(10)])
    subscription = Subscription(store, "lagging", project)
    await asyncio.sleep(0.02)

    lag = await subscription.lag()
    assert lag.events_behind == 10
    assert lag.seconds_behind is not None
    assert lag.seconds_behind > 0

    async with pool.acquire() as holder, holder.transaction():
        await holder.execute("SELECT pg_current_xact_id()")  # an open transaction with an id
        await store.append(stream, [new_event(n=10)])  # commits, but behind the horizon
        held = await subscription.lag()
        assert held.horizon_held_by_pid == holder.get_server_pid()
        assert held.events_behind == 11
        assert await subscription.catch_up() == 10  # the event behind the horizon waits
    assert await subscription.catch_up() == 1


async def project_batch(connection: Connection, events: Sequence[RecordedEvent]) -> None:
    await connection.executemany(
        "INSERT INTO projection VALUES ($1, $2, $3)",
        [(e.event_id, e.stream_id, e.payload.get("n")) for e in events],
    )


async def test_a_batch_handler_gets_whole_batches_in_commit_order(
    store: PostgresEventStore, pool: asyncpg.Pool, projection: str
) -> None:
    first, second = stream_name(), stream_name()
    await store.append(first, [new_event(n=n) for n in range(4)])
    await store.append(second, [new_event(n=n) for n in range(3)])
    await store.append(first, [new_event(n=4)])
    batches: list[list[int]] = []

    async def handle(connection: Connection, events: Sequence[RecordedEvent]) -> None:
        batches.append([e.position for e in events])
        await project_batch(connection, events)

    handled = await Subscription(store, "batched", batch_handler=handle, batch_size=3).catch_up()

    in_commit_order = [e.position async for e in store.read_all()]
    assert handled == 8
    assert [len(b) for b in batches] == [3, 3, 2]
    assert [p for b in batches for p in b] == in_commit_order
    assert await projected(pool) == 8


async def test_a_failing_batch_handler_rolls_back_the_batch_and_its_checkpoint(
    store: PostgresEventStore, pool: asyncpg.Pool, projection: str
) -> None:
    await store.append(stream_name(), [new_event(n=n) for n in range(5)])

    async def writes_then_fails(connection: Connection, events: Sequence[RecordedEvent]) -> None:
        await project_batch(connection, events)
        raise RuntimeError("handler bug")

    failing = Subscription(store, "batch-model", batch_handler=writes_then_fails, batch_size=2)
    with pytest.raises(RuntimeError, match="handler bug"):
        await failing.catch_up()
    assert await projected(pool) == 0
    assert (await failing.checkpoint()).position == 0

    # Delivered again from the same checkpoint (at least once); effects land exactly once.
    fixed = Subscription(store, "batch-model", batch_handler=project_batch, batch_size=2)
    assert await fixed.catch_up() == 5
    assert await projected(pool) == 5


async def test_competing_batch_instances_never_handle_a_batch_twice(
    store: PostgresEventStore, pool: asyncpg.Pool, projection: str
) -> None:
    for _ in range(10):
        await store.append(stream_name(), [new_event(n=n) for n in range(5)])
    instances = [
        Subscription(store, "shared-batches", batch_handler=project_batch, batch_size=4)
        for _ in range(3)
    ]

    await asyncio.gather(*(instance.catch_up() for instance in instances))

    assert await projected(pool) == 50


def test_a_subscription_takes_exactly_one_kind_of_handler(store: PostgresEventStore) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Subscription(store, "neither")
    with pytest.raises(ValueError, match="exactly one"):
        Subscription(store, "both", project, batch_handler=project_batch)


async def test_wake_ups_are_prompt_when_quiet_and_throttled_when_busy(pool: asyncpg.Pool) -> None:
    received: list[float] = []
    loop = asyncio.get_running_loop()

    def on_notification(*args: Any) -> None:
        received.append(loop.time())

    listener = await pool.acquire()
    await listener.add_listener(NOTIFY_CHANNEL, on_notification)
    try:
        interval = 0.5
        wake_ups = WakeUps(pool, interval=interval)
        started = loop.time()
        wake_ups.appended()  # quiet until now: sent at once
        await wake_ups.flush()
        await eventually(lambda: _true(len(received) == 1))
        assert received[0] - started < interval
        for _ in range(10):  # busy: one more wake-up covers them all, after the interval
            wake_ups.appended()
        await wake_ups.flush()
        await eventually(lambda: _true(len(received) == 2))
        assert received[1] - received[0] >= interval * 0.9
        await asyncio.sleep(interval * 1.5)
        wake_ups.appended()  # an append after the wake-up went out gets one of its own
        await wake_ups.flush()
        await eventually(lambda: _true(len(received) == 3))
        await asyncio.sleep(interval * 1.5)
        assert len(received) == 3  # and nothing more
    finally:
        await listener.remove_listener(NOTIFY_CHANNEL, on_notification)
        await pool.release(listener)


async def _true(value: bool) -> bool:
    return value
