"""A superuser attacker who holds the whole database but no process key (issue 11).

The attacker disables the append-only triggers (``session_replication_role = replica``), knows
every formula, and recomputes whatever is a plain hash: the v1 chain, the seal digests. What the
attacker lacks is the chain key and the seal signing key; verify must then name what broke,
and history removed whole (seals included, or every table truncated) must show against an
anchor recorded before the attack.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import pytest

from eventstore import (
    Anchor,
    Keyring,
    PostgresEventStore,
    SealedLog,
    SealSigner,
    create_pool,
    parse_anchor,
)
from eventstore.hashing import GENESIS_HASH, SealDigest
from tests.integration.eventstore.factories import new_event
from tests.integration.eventstore.forgery import rechain

NOT_KEYED = "not keyed: chained in the unkeyed v1 format"


@dataclass(frozen=True)
class Log:
    """Two sealed streams of three events (seal 1, positions 1..6) and an anchor of seal 1."""

    a: str
    b: str
    anchor: Anchor


@pytest.fixture
async def log(store: PostgresEventStore) -> Log:
    for stream in ("pathway-a", "pathway-b"):
        await store.append(stream, [new_event("Step", n=n) for n in range(1, 4)])
    (first,) = await store.seal()
    assert first.signature is not None
    signer = store.keyring.seal_signer
    assert signer is not None
    anchor = Anchor(
        log=SealedLog.EVENTSTORE,
        seal_number=1,
        covered=6,
        digest=first.digest,
        signing_key_id=signer.verifier.key_id,
        signature=first.signature,
    )
    return Log(a="pathway-a", b="pathway-b", anchor=parse_anchor(anchor.line()))


@pytest.fixture
async def attacker(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A superuser session whose triggers do not fire."""
    connection = await asyncpg.connect(database_url)
    await connection.execute("SET session_replication_role = replica")
    yield connection
    await connection.close()


async def reseal_all(db: asyncpg.Connection) -> None:
    """Recompute every seal's digest from the (tampered) log, as the attacker can."""
    seals = await db.fetch("SELECT * FROM eventstore.seals ORDER BY seal_number")
    previous = GENESIS_HASH
    after: tuple[int, int] = (0, 0)
    for seal in seals:
        end = (int(seal["last_transaction_id"]), seal["last_position"])
        rows = await db.fetch(
            "SELECT transaction_id, position, hash FROM eventstore.events"
            " WHERE (transaction_id, position) > ($1::xid8, $2::bigint)"
            "   AND (transaction_id, position) <= ($3::xid8, $4::bigint)"
            " ORDER BY transaction_id, position",
            *after,
            *end,
        )
        digest = SealDigest(previous, seal["seal_number"])
        for row in rows:
            digest.add(row["position"], bytes(row["hash"]))
        count = digest.count
        final = digest.finish(last_transaction_id=end[0], last_position=end[1])
        await db.execute(
            "UPDATE eventstore.seals SET digest = $2, previous_digest = $3, event_count = $4"
            " WHERE seal_number = $1",
            seal["seal_number"],
            final,
            previous,
            count,
        )
        previous, after = final, end


async def test_an_untouched_store_verifies_intact_with_both_keys_and_its_anchor(
    store: PostgresEventStore, log: Log
) -> None:
    await store.append(log.a, [new_event("Step", n=4)])

    report = await store.verify(anchors=[log.anchor])

    assert report.ok, report.failures
    assert (report.chain_keyed, report.signatures_checked, report.anchors_checked) == (
        True,
        True,
        1,
    )
    assert (report.last_seal_number, report.sealed_events, report.unsealed_events) == (1, 6, 1)


async def test_an_unsealed_rewrite_rechained_with_sha256_is_named(
    store: PostgresEventStore, log: Log, attacker: asyncpg.Connection
) -> None:
    await store.append(log.a, [new_event("Step", n=n) for n in (4, 5)])
    await attacker.execute(
        "UPDATE eventstore.events SET payload = '{\"n\":99}' WHERE stream_id = $1 AND version = 5",
        log.a,
    )
    await rechain(attacker, log.a)

    report = await store.verify()

    assert report.first_failure is not None
    assert report.first_failure.startswith(f"stream {log.a} version 1: {NOT_KEYED}")


async def test_a_sealed_rewrite_rechained_with_a_guessed_key_is_named(
    store: PostgresEventStore, log: Log, attacker: asyncpg.Connection
) -> None:
    await attacker.execute(
        "UPDATE eventstore.events SET payload = '{\"n\":99}' WHERE stream_id = $1 AND version = 2",
        log.b,
    )
    await rechain(attacker, log.b, key=os.urandom(32))

    report = await store.verify()

    assert report.first_failure == f"stream {log.b} version 1: hash mismatch", report.failures


async def test_a_back_dated_correctly_chained_event_is_named(
    store: PostgresEventStore, log: Log, attacker: asyncpg.Connection
) -> None:
    # Back-dated into the sealed range (an old transaction id), then the stream re-chained.
    await attacker.execute(
        """
        INSERT INTO eventstore.events (position, transaction_id, stream_id, version, event_id,
                                       type, schema_version, payload, metadata, recorded_at, hash)
        SELECT 1000, transaction_id, $1, 4, gen_random_uuid(), 'Step', 1, '{"n":4}',
               '{"actor":"forger"}', recorded_at - interval '1 day', hash
        FROM eventstore.events WHERE stream_id = $1 AND version = 3
        """,
        log.a,
    )
    await rechain(attacker, log.a)

    report = await store.verify(anchors=[log.anchor])

    assert report.first_failure is not None
    assert report.first_failure.startswith(f"stream {log.a} version 1: {NOT_KEYED}")
    assert report.failures[-1] == (
        "seal 1 (global log up to position 6): digest mismatch (7 events found in its range,"
        " 6 sealed)"
    )


async def test_a_middle_event_removed_and_the_rest_renumbered_is_named(
    store: PostgresEventStore, log: Log, attacker: asyncpg.Connection
) -> None:
    # The stored hashes are kept and relinked: the MAC still holds the old version numbers.
    await attacker.execute(
        "DELETE FROM eventstore.events WHERE stream_id = $1 AND version = 2", log.a
    )
    await attacker.execute(
        "UPDATE eventstore.events SET version = 2 WHERE stream_id = $1 AND version = 3", log.a
    )
    await attacker.execute("UPDATE eventstore.streams SET version = 2 WHERE stream_id = $1", log.a)

    report = await store.verify()

    assert report.first_failure == f"stream {log.a} version 2: hash mismatch", report.failures


async def test_seals_recomputed_after_a_rewrite_fail_their_signatures(
    store: PostgresEventStore, log: Log, attacker: asyncpg.Connection
) -> None:
    # A whole stream removed (nothing left to chain), every seal digest recomputed.
    await attacker.execute("DELETE FROM eventstore.events WHERE stream_id = $1", log.b)
    await attacker.execute("DELETE FROM eventstore.streams WHERE stream_id = $1", log.b)
    await reseal_all(attacker)

    report = await store.verify()

    assert report.failures == [
        "seal 1 (global log up to position 6): signature does not hold (seal forged or recomputed)"
    ]


async def test_an_unsigned_seal_is_named(
    store: PostgresEventStore, log: Log, attacker: asyncpg.Connection
) -> None:
    await attacker.execute("UPDATE eventstore.seals SET signature = NULL")

    report = await store.verify()

    assert report.failures == ["seal 1 (global log up to position 6): not signed"]


async def test_the_newest_seal_deleted_with_its_events_is_caught_by_an_earlier_anchor(
    store: PostgresEventStore, log: Log, attacker: asyncpg.Connection
) -> None:
    await store.append("pathway-late", [new_event("Step", n=n) for n in range(1, 3)])
    (second,) = await store.seal()
    anchor = await anchor_of(store, 2, second.digest)
    assert (await store.verify(anchors=[anchor])).ok

    await attacker.execute("DELETE FROM eventstore.seals WHERE seal_number = 2")
    await attacker.execute("DELETE FROM eventstore.events WHERE stream_id = 'pathway-late'")
    await attacker.execute("DELETE FROM eventstore.streams WHERE stream_id = 'pathway-late'")

    # Without the anchor the remaining history is consistent: this is what anchors are for.
    assert (await store.verify(anchors=[log.anchor])).ok
    report = await store.verify(anchors=[log.anchor, anchor])

    assert report.first_failure == (
        "anchor eventstore seal 2: not in the store (newest seal is 1):"
        " sealed history was removed or truncated"
    )


async def test_every_table_truncated_is_caught_by_an_anchor(
    store: PostgresEventStore, log: Log, attacker: asyncpg.Connection
) -> None:
    await attacker.execute(
        "TRUNCATE eventstore.events, eventstore.streams, eventstore.seals,"
        " eventstore.subject_keys, eventstore.subject_key_wrappings,"
        " eventstore.key_encryption_keys, eventstore.subscription_checkpoints"
    )

    report = await store.verify(anchors=[log.anchor])

    assert report.failures == [
        "anchor eventstore seal 1: not in the store (newest seal is 0):"
        " sealed history was removed or truncated"
    ]


async def test_a_forged_anchor_line_is_refused(store: PostgresEventStore, log: Log) -> None:
    forged = log.anchor.model_copy(update={"digest": hashlib.sha256(b"other").digest()})

    report = await store.verify(anchors=[forged])

    assert report.first_failure is not None
    assert report.first_failure.startswith(
        "anchor eventstore seal 1: the anchor's signature does not hold"
    )


async def test_a_store_with_another_chain_key_reports_every_stream(
    store: PostgresEventStore, log: Log
) -> None:
    stranger = PostgresEventStore(
        store.pool,
        keyring=Keyring(chain_key=os.urandom(32), seal_signer=store.keyring.seal_signer),
    )

    report = await stranger.verify()

    assert report.failures == [
        f"stream {stream} version {version}: hash mismatch"
        for stream in (log.a, log.b)
        for version in (1, 2, 3)
    ]


async def test_a_seal_signed_by_another_key_is_named(store: PostgresEventStore, log: Log) -> None:
    other = SealSigner(os.urandom(32))
    auditor = PostgresEventStore(
        store.pool, keyring=Keyring(chain_key=store.keyring.chain_key, seal_verifier=other.verifier)
    )

    report = await auditor.verify()

    assert report.first_failure is not None
    assert report.first_failure.startswith("seal 1 (global log up to position 6): signed with")


async def test_the_application_role_cannot_insert_a_seal_directly(
    store: PostgresEventStore, log: Log, database_url: str
) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("SET ROLE pathways_app")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await connection.execute(
                "INSERT INTO eventstore.seals (seal_number, last_transaction_id, last_position,"
                " event_count, previous_digest, digest) SELECT 2, last_transaction_id,"
                " last_position, 1, digest, digest FROM eventstore.seals"
            )
        with pytest.raises(asyncpg.PostgresError, match="out of sequence"):
            await connection.execute(
                "SELECT eventstore.insert_seal(7, '1'::xid8, 1, 1, $1, $1, NULL, NULL)",
                bytes(32),
            )
    finally:
        await connection.close()
    await store.append(log.a, [new_event("Step", n=4)])
    # ... while sealing through the function, as the application role, works.
    app_pool = await create_pool(database_url, role="pathways_app", min_size=1, max_size=2)
    try:
        assert len(await PostgresEventStore(app_pool, keyring=store.keyring).seal()) == 1
    finally:
        await app_pool.close()
    assert (await store.verify()).ok


async def anchor_of(store: PostgresEventStore, number: int, digest: bytes) -> Anchor:
    row = await store.pool.fetchrow(
        "SELECT signature, signing_key_id, (SELECT sum(event_count) FROM eventstore.seals"
        " WHERE seal_number <= $1) AS covered FROM eventstore.seals WHERE seal_number = $1",
        number,
    )
    assert row is not None
    return Anchor(
        log=SealedLog.EVENTSTORE,
        seal_number=number,
        covered=int(row["covered"]),
        digest=digest,
        signing_key_id=row["signing_key_id"],
        signature=bytes(row["signature"]),
    )
