"""Tampering as a superuser with triggers disabled is detected and located by verify()."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import asyncpg
import pytest

from eventstore import PostgresEventStore
from tests.integration.eventstore.factories import new_event
from tests.integration.eventstore.forgery import rechain


@dataclass(frozen=True)
class Log:
    """Three sealed streams of four events each, positions 1..12."""

    a: str
    b: str
    c: str


@pytest.fixture
async def sealed_log(store: PostgresEventStore) -> Log:
    log = Log(a="pathway-a", b="pathway-b", c="pathway-c")
    for stream in (log.a, log.b, log.c):
        await store.append(
            stream,
            [
                new_event(
                    "Step", n=n, subject_id="person-1", personal=frozenset({"note"}), note="x"
                )
                for n in range(1, 5)
            ],
        )
    (only_seal,) = await store.seal()
    assert (only_seal.event_count, only_seal.last_position) == (12, 12)
    report = await store.verify()
    assert report.ok, report
    assert (report.events_checked, report.streams_checked, report.sealed_events) == (12, 3, 12)
    return log


@pytest.fixture
async def tamperer(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A superuser session whose triggers do not fire (as after ALTER TABLE DISABLE TRIGGER)."""
    connection = await asyncpg.connect(database_url)
    await connection.execute("SET session_replication_role = replica")
    yield connection
    await connection.close()


async def change_payload(db: asyncpg.Connection, log: Log) -> None:
    await db.execute(
        'UPDATE eventstore.events SET payload = \'{"n":99,"note":"x"}\''
        " WHERE stream_id = $1 AND version = 2",
        log.a,
    )


async def change_payload_and_rechain(db: asyncpg.Connection, log: Log) -> None:
    await change_payload(db, log)
    await rechain(db, log.a)


async def delete_one_event(db: asyncpg.Connection, log: Log) -> None:
    await db.execute("DELETE FROM eventstore.events WHERE stream_id = $1 AND version = 2", log.a)


async def delete_last_event(db: asyncpg.Connection, log: Log) -> None:
    await db.execute("DELETE FROM eventstore.events WHERE stream_id = $1 AND version = 4", log.b)


async def delete_last_event_and_rewind_head(db: asyncpg.Connection, log: Log) -> None:
    await delete_last_event(db, log)
    await rechain(db, log.b)


async def insert_forged_event(db: asyncpg.Connection, log: Log) -> None:
    await db.execute(
        """
        INSERT INTO eventstore.events (stream_id, version, event_id, type, schema_version,
                                       payload, metadata, recorded_at, hash)
        VALUES ($1, 5, gen_random_uuid(), 'Step', 1, '{"n":5}', '{"actor":"forger"}', now(),
                decode(repeat('00', 32), 'hex'))
        """,
        log.c,
    )
    await db.execute("UPDATE eventstore.streams SET version = 5 WHERE stream_id = $1", log.c)


async def insert_forged_event_and_rechain(db: asyncpg.Connection, log: Log) -> None:
    # The forger backdates the event into the sealed range by reusing an old transaction id.
    await db.execute(
        """
        INSERT INTO eventstore.events (position, transaction_id, stream_id, version, event_id,
                                       type, schema_version, payload, metadata, recorded_at, hash)
        SELECT 1000, transaction_id, $1, 5, gen_random_uuid(), 'Step', 1, '{"n":5}',
               '{"actor":"forger"}', recorded_at, hash
        FROM eventstore.events WHERE stream_id = $2 AND version = 1
        """,
        log.c,
        log.a,
    )
    await rechain(db, log.c)


async def swap_two_events(db: asyncpg.Connection, log: Log) -> None:
    for old, new in ((2, 1000), (3, 2), (1000, 3)):
        await db.execute(
            "UPDATE eventstore.events SET version = $3 WHERE stream_id = $1 AND version = $2",
            log.a,
            old,
            new,
        )


async def swap_global_positions(db: asyncpg.Connection, log: Log) -> None:
    for old, new in ((1, 1000), (5, 1), (1000, 5)):
        await db.execute("UPDATE eventstore.events SET position = $2 WHERE position = $1", old, new)


Tamper = Callable[[asyncpg.Connection, Log], Awaitable[None]]


@pytest.mark.parametrize(
    ("tamper", "expected_failure"),
    [
        pytest.param(change_payload, "stream {a} version 2: hash mismatch", id="changed-payload"),
        pytest.param(
            # Re-chained with sha256 as the v1 format would: the keyed chain refuses it.
            change_payload_and_rechain,
            "stream {a} version 1: not keyed: chained in the unkeyed v1 format, which anybody"
            " holding the database can recompute (forged or rewritten, or written before the"
            " chain key existed)",
            id="changed-payload-chain-recomputed",
        ),
        pytest.param(
            delete_one_event,
            "stream {a} version 2: missing (versions jump from 1 to 3)",
            id="deleted-event",
        ),
        pytest.param(
            delete_last_event,
            "stream {b} version 4: missing (stream head records version 4, last stored version 3)",
            id="deleted-last-event",
        ),
        pytest.param(
            delete_last_event_and_rewind_head,
            "stream {b} version 1: not keyed: chained in the unkeyed v1 format, which anybody"
            " holding the database can recompute (forged or rewritten, or written before the"
            " chain key existed)",
            id="deleted-last-event-head-rewound",
        ),
        pytest.param(insert_forged_event, "stream {c} version 5: hash mismatch", id="forged-event"),
        pytest.param(
            insert_forged_event_and_rechain,
            "stream {c} version 1: not keyed: chained in the unkeyed v1 format, which anybody"
            " holding the database can recompute (forged or rewritten, or written before the"
            " chain key existed)",
            id="forged-event-chain-recomputed",
        ),
        pytest.param(swap_two_events, "stream {a} version 2: hash mismatch", id="swapped-events"),
        pytest.param(
            swap_global_positions,
            "stream {a} version 1: hash mismatch",
            id="swapped-global-positions",
        ),
    ],
)
async def test_tampering_is_detected_and_named(
    store: PostgresEventStore,
    sealed_log: Log,
    tamperer: asyncpg.Connection,
    tamper: Tamper,
    expected_failure: str,
) -> None:
    await tamper(tamperer, sealed_log)

    report = await store.verify()

    assert not report.ok
    assert report.first_failure == expected_failure.format(
        a=sealed_log.a, b=sealed_log.b, c=sealed_log.c
    ), report.failures


async def test_a_new_event_after_the_last_seal_is_reported_as_unsealed(
    store: PostgresEventStore, sealed_log: Log
) -> None:
    await store.append(sealed_log.a, [new_event(n=5)])

    report = await store.verify()

    assert report.ok
    assert (report.sealed_events, report.unsealed_events) == (12, 1)
    assert report.last_seal_digest is not None
    assert re.fullmatch("[0-9a-f]{64}", report.last_seal_digest)


async def test_a_deleted_seal_breaks_the_chain_of_seals(
    store: PostgresEventStore, sealed_log: Log, tamperer: asyncpg.Connection
) -> None:
    await store.append(sealed_log.a, [new_event(n=5)])
    await store.seal()
    await tamperer.execute("DELETE FROM eventstore.seals WHERE seal_number = 1")

    report = await store.verify()

    assert report.first_failure is not None
    assert report.first_failure.startswith("seal 2 (global log up to position 13)")
