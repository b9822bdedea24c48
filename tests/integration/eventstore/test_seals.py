"""Seals cover only final events, in bounded ranges, and chain to each other."""

from __future__ import annotations

import asyncpg

from eventstore import PostgresEventStore
from tests.integration.eventstore.factories import new_event, stream_name


async def test_seals_cover_only_events_below_the_oldest_open_transaction(
    store: PostgresEventStore, pool: asyncpg.Pool
) -> None:
    await store.append(stream_name(), [new_event(), new_event()])
    async with pool.acquire() as writer:
        transaction = writer.transaction()
        await transaction.start()
        await store.append(stream_name(), [new_event()], connection=writer)
        await store.append(stream_name(), [new_event()])  # committed, but after the open one

        (first,) = await store.seal()
        await transaction.commit()
    assert first.event_count == 2

    (second,) = await store.seal()
    assert second.event_count == 2
    assert second.previous_digest == first.digest
    assert await store.seal() == []
    report = await store.verify()
    assert report.ok
    assert (report.seals_checked, report.sealed_events, report.unsealed_events) == (2, 4, 0)


async def test_a_backlog_is_sealed_in_bounded_ranges(store: PostgresEventStore) -> None:
    for _ in range(10):
        await store.append(stream_name(), [new_event() for _ in range(5)])

    seals = await store.seal(max_events_per_seal=20)

    assert [s.event_count for s in seals] == [20, 20, 10]
    assert [s.seal_number for s in seals] == [1, 2, 3]
    report = await store.verify()
    assert report.ok
    assert report.last_seal_digest == seals[-1].digest.hex()
