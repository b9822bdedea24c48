"""Optimistic concurrency under real contention: one winner per version, no gaps, no twins."""

from __future__ import annotations

import asyncio

from eventstore import ANY, AppendResult, PostgresEventStore, WrongExpectedVersion
from tests.integration.eventstore.factories import new_event, stream_name

WRITERS = 8
ROUNDS = 15


async def test_eight_writers_racing_with_the_same_expected_version_have_one_winner_each_time(
    store: PostgresEventStore,
) -> None:
    stream = stream_name()
    await store.append(stream, [new_event(round=0)])
    for round_number in range(1, ROUNDS + 1):
        version = round_number  # the stream's last version before this round
        outcomes = await asyncio.gather(
            *(
                store.append(
                    stream, [new_event(writer=w, round=round_number)], expected_version=version
                )
                for w in range(WRITERS)
            ),
            return_exceptions=True,
        )

        winners = [o for o in outcomes if isinstance(o, AppendResult)]
        losers = [o for o in outcomes if isinstance(o, WrongExpectedVersion)]
        assert len(winners) == 1, outcomes
        assert len(losers) == WRITERS - 1, outcomes
        assert winners[0].last_version == version + 1
        assert all((e.expected, e.actual) == (version, version + 1) for e in losers)

    recorded = await store.read_stream(stream)
    assert [e.version for e in recorded] == list(range(1, ROUNDS + 2))
    assert [e.payload["round"] for e in recorded] == list(range(ROUNDS + 1))
    assert (await store.verify()).ok


async def test_eight_writers_appending_with_any_version_leave_no_gaps_or_twins(
    store: PostgresEventStore,
) -> None:
    stream = stream_name()
    per_writer = 25

    async def writer(w: int) -> None:
        for i in range(per_writer):
            await store.append(stream, [new_event(writer=w, i=i)], expected_version=ANY)

    await asyncio.gather(*(writer(w) for w in range(WRITERS)))

    recorded = await store.read_stream(stream)
    assert [e.version for e in recorded] == list(range(1, WRITERS * per_writer + 1))
    assert len({(e.payload["writer"], e.payload["i"]) for e in recorded}) == WRITERS * per_writer
    assert (await store.verify()).ok
