"""The key hierarchy against an attacker who holds the database files: erasure completes.

Each test tries to break a promise of docs/security.md ("Key hierarchy", "Erasure") on the real
PostgreSQL: it scans the cluster's files (this database's heap and the WAL written during the
test, after a CHECKPOINT) for every byte string shaped like a wrapped data key, tries to unwrap
each with every key-encryption key (KEK) the deployment still holds, and decrypts the person's
events with anything that unwraps.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Collection
from pathlib import Path

import asyncpg
import pytest

from eventstore import (
    ERASED,
    CorruptEvent,
    KeyEncryptionKeyUnavailable,
    PostgresEventStore,
    PostgresKeyStore,
    StaticKeyEncryptionKeys,
)
from eventstore.connections import Connection
from eventstore.key_encryption import WRAPPED_KEY_BYTES, KeyEncryptionKey
from eventstore.key_hierarchy import erasure_completion, rewrap_data_keys
from eventstore.personal_data import DATA_KEY_BYTES, PersonalFieldReader
from tests.integration.eventstore.factories import new_event, stream_name

# A bytea of WRAPPED_KEY_BYTES is stored with a one-byte varlena header: (total length << 1) | 1.
_SHORT_VARLENA_HEADER = ((WRAPPED_KEY_BYTES + 1) << 1) | 1


class FoundKeys:
    """A key store holding only the data keys an attacker recovered (to decrypt with them)."""

    def __init__(self, keys: dict[str, bytes]) -> None:
        self._keys = keys

    async def key_for_writing(self, subject_id: str) -> bytes:
        raise AssertionError("the attacker only reads")

    async def keys_for_reading(self, subject_ids: Collection[str]) -> dict[str, bytes]:
        return {s: self._keys[s] for s in subject_ids if s in self._keys}

    async def destroy(self, subject_id: str) -> None:
        raise AssertionError("the attacker only reads")


async def wal_position(connection: Connection) -> str:
    """The WAL segment file being written now (scans start there)."""
    return str(await connection.fetchval("SELECT pg_walfile_name(pg_current_wal_lsn())"))


async def cluster_files(connection: Connection, first_segment: str) -> list[Path]:
    """This database's files, and every WAL segment from ``first_segment`` on, after a
    CHECKPOINT so every page written so far is on disk."""
    await connection.execute("CHECKPOINT")
    data_directory = Path(await connection.fetchval("SHOW data_directory"))
    database_oid = await connection.fetchval(
        "SELECT oid FROM pg_database WHERE datname = current_database()"
    )
    heap = [p for p in (data_directory / "base" / str(database_oid)).rglob("*") if p.is_file()]
    wal = [
        p
        for p in (data_directory / "pg_wal").iterdir()
        if p.is_file() and len(p.name) == 24 and p.name >= first_segment
    ]
    return heap + wal


def unwrappable_copies(
    files: list[Path], subject_id: str, held: list[KeyEncryptionKey]
) -> set[bytes]:
    """Every data key of ``subject_id`` that some held KEK unwraps from some byte string in
    ``files`` shaped like a stored wrapped key."""
    found: set[bytes] = set()
    for path in files:
        content = path.read_bytes()
        start = content.find(_SHORT_VARLENA_HEADER)
        while start != -1 and start + 1 + WRAPPED_KEY_BYTES <= len(content):
            candidate = content[start + 1 : start + 1 + WRAPPED_KEY_BYTES]
            for kek in held:
                with contextlib.suppress(CorruptEvent):
                    found.add(kek.unwrap(subject_id, candidate))
            start = content.find(_SHORT_VARLENA_HEADER, start + 1)
    return found


async def read_with(pool: asyncpg.Pool, stream: str, subject_id: str, key: bytes) -> list[object]:
    """The stream's payload values, decrypted with ``key`` as the subject's data key."""
    events = await PostgresEventStore(pool, FoundKeys({subject_id: key})).read_stream(stream)
    return [value for event in events for value in event.payload.values()]


async def test_an_erasure_is_pending_until_a_rotation_destroys_the_key_that_wrapped_it(
    pool: asyncpg.Pool,
) -> None:
    first = StaticKeyEncryptionKeys(os.urandom(32))
    store = PostgresEventStore(pool, PostgresKeyStore(pool, key_encryption_keys=first))
    person, other = f"person-{uuid.uuid4()}", f"person-{uuid.uuid4()}"
    secret = f"Jensen-{uuid.uuid4().hex}"  # unique: a hit can only come from this test
    stream, other_stream = stream_name(), stream_name()
    async with pool.acquire() as connection:
        segment = await wal_position(connection)
    await store.append(
        stream,
        [new_event(subject_id=person, personal=frozenset({"note"}), note=secret)],
    )
    await store.append(
        other_stream,
        [new_event(subject_id=other, personal=frozenset({"note"}), note="still here")],
    )
    await store.seal()

    await store.erase(person, actor="dpo-1")

    # Before completion: the scan must find what it claims to rule out afterwards.
    async with pool.acquire() as connection:
        files = await cluster_files(connection, segment)
    copies = unwrappable_copies(files, person, [first.current()])
    assert copies, "the scan should find the erased key's old wrapped copy"
    assert secret in await read_with(pool, stream, person, copies.pop())
    pending = await erasure_completion(pool, person, first)
    assert not pending.complete
    assert first.current().key_id in pending.reason
    assert "pathways admin keys rotate" in pending.reason

    second = KeyEncryptionKey(os.urandom(32))
    rotation = await rewrap_data_keys(pool, first, second)
    held = StaticKeyEncryptionKeys(second.secret)  # the first key is destroyed

    assert rotation.retired_kek_ids == [first.current().key_id]
    done = await erasure_completion(pool, person, held)
    assert done.complete, done.reason
    assert done.reason.startswith("complete")
    async with pool.acquire() as connection:
        files = await cluster_files(connection, segment)
    assert unwrappable_copies(files, person, [second]) == set()
    assert not any(secret.encode() in path.read_bytes() for path in files)
    rotated = PostgresEventStore(pool, PostgresKeyStore(pool, key_encryption_keys=held))
    assert (await rotated.read_stream(other_stream))[0].payload["note"] == "still here"
    assert (await rotated.read_stream(stream))[0].payload["note"] == ERASED
    report = await rotated.verify()
    assert report.ok, report.failures


async def test_an_erasure_stays_pending_while_the_retired_key_is_still_held(
    pool: asyncpg.Pool,
) -> None:
    first = StaticKeyEncryptionKeys(os.urandom(32))
    store = PostgresEventStore(pool, PostgresKeyStore(pool, key_encryption_keys=first))
    person = f"person-{uuid.uuid4()}"
    await store.append(
        stream_name(), [new_event(subject_id=person, personal=frozenset({"n"}), n="x")]
    )
    await store.erase(person, actor="dpo-1")
    second = KeyEncryptionKey(os.urandom(32))
    await rewrap_data_keys(pool, first, second)

    # An operator who set the new key but kept the old one has not completed the erasure.
    still_holding = StaticKeyEncryptionKeys(second.secret, (first.current().secret,))
    answer = await erasure_completion(pool, person, still_holding)

    assert not answer.complete
    assert answer.pending_kek_ids == [first.current().key_id]
    assert "destroy the old one" in answer.reason


async def test_a_dump_of_the_database_without_the_key_encryption_key_decrypts_nothing(
    pool: asyncpg.Pool,
) -> None:
    keys = StaticKeyEncryptionKeys(os.urandom(32))
    store = PostgresEventStore(pool, PostgresKeyStore(pool, key_encryption_keys=keys))
    people = [f"person-{uuid.uuid4()}" for _ in range(5)]
    for person in people:
        await store.append(
            stream_name(),
            [new_event(subject_id=person, personal=frozenset({"note"}), note=f"words of {person}")],
        )
    dumped_keys = await pool.fetch("SELECT subject_id, data_key FROM eventstore.subject_keys")
    dumped_events = await pool.fetch(
        "SELECT event_id, subject_id, payload::text AS payload, personal_fields"
        " FROM eventstore.events WHERE subject_id IS NOT NULL"
    )

    assert len(dumped_keys) == len(people)
    assert all(len(row["data_key"]) != DATA_KEY_BYTES for row in dumped_keys)
    # Every stored key byte string, tried as a data key (whole, and as each 32-byte window)
    # against every ciphertext of every person: none decrypts.
    guesses = {
        row["data_key"][i : i + DATA_KEY_BYTES]
        for row in dumped_keys
        for i in range(len(row["data_key"]) - DATA_KEY_BYTES + 1)
    }
    for event in dumped_events:
        for guess in guesses:
            payload = json.loads(event["payload"])
            with pytest.raises(CorruptEvent):
                PersonalFieldReader({event["subject_id"]: guess}).reveal(
                    payload,
                    event["personal_fields"],
                    event_id=event["event_id"],
                    subject_id=event["subject_id"],
                )


async def test_a_rotation_keeps_every_remaining_person_readable(pool: asyncpg.Pool) -> None:
    first = StaticKeyEncryptionKeys(os.urandom(32))
    store = PostgresEventStore(pool, PostgresKeyStore(pool, key_encryption_keys=first))
    streams = {}
    for i in range(20):
        person = f"person-{i}-{uuid.uuid4()}"
        streams[person] = stream_name()
        await store.append(
            streams[person], [new_event(subject_id=person, personal=frozenset({"n"}), n=i)]
        )
    second = KeyEncryptionKey(os.urandom(32))

    rotation = await rewrap_data_keys(pool, first, second)

    assert rotation.rewrapped == 20
    rotated = PostgresEventStore(
        pool, PostgresKeyStore(pool, key_encryption_keys=StaticKeyEncryptionKeys(second.secret))
    )
    for i, (_person, stream) in enumerate(streams.items()):
        assert (await rotated.read_stream(stream))[0].payload["n"] == i
    assert set(
        await pool.fetchval("SELECT array_agg(DISTINCT kek_id) FROM eventstore.subject_keys")
    ) == {second.key_id}
    # The old key can no longer wrap anything new: a process still holding it fails closed.
    with pytest.raises(KeyEncryptionKeyUnavailable, match="retired"):
        await store.append(
            stream_name(), [new_event(subject_id="newcomer", personal=frozenset({"n"}), n=1)]
        )


async def test_a_rotation_that_fails_after_re_wrapping_changes_nothing(pool: asyncpg.Pool) -> None:
    first = StaticKeyEncryptionKeys(os.urandom(32))
    store = PostgresEventStore(pool, PostgresKeyStore(pool, key_encryption_keys=first))
    stream = stream_name()
    await store.append(
        stream, [new_event(subject_id="person-1", personal=frozenset({"n"}), n="kept")]
    )
    before = await pool.fetch("SELECT * FROM eventstore.subject_keys ORDER BY subject_id")
    # A failure after every key was re-wrapped, at the last step (retiring the old key): the
    # process dying there must leave the old wrapping in force.
    await pool.execute(
        """
        CREATE FUNCTION pg_temp_fail() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'crash between re-wrap and retirement'; END; $$;
        CREATE TRIGGER fail_retirement BEFORE UPDATE ON eventstore.key_encryption_keys
            FOR EACH ROW EXECUTE FUNCTION pg_temp_fail();
        """
    )
    with pytest.raises(asyncpg.RaiseError, match="crash between"):
        await rewrap_data_keys(pool, first, KeyEncryptionKey(os.urandom(32)))
    await pool.execute("DROP TRIGGER fail_retirement ON eventstore.key_encryption_keys")

    assert await pool.fetch("SELECT * FROM eventstore.subject_keys ORDER BY subject_id") == before
    assert await pool.fetchval("SELECT count(*) FROM eventstore.key_encryption_keys") == 1
    assert (await store.read_stream(stream))[0].payload["n"] == "kept"


async def test_a_rotation_refuses_when_a_key_is_wrapped_under_a_key_it_lacks(
    pool: asyncpg.Pool,
) -> None:
    mine, foreign = StaticKeyEncryptionKeys(os.urandom(32)), StaticKeyEncryptionKeys(os.urandom(32))
    for keys, person in ((mine, "person-1"), (foreign, "person-2")):
        await PostgresEventStore(pool, PostgresKeyStore(pool, key_encryption_keys=keys)).append(
            stream_name(), [new_event(subject_id=person, personal=frozenset({"n"}), n=1)]
        )
    before = await pool.fetch("SELECT * FROM eventstore.subject_keys ORDER BY subject_id")

    with pytest.raises(KeyEncryptionKeyUnavailable, match=foreign.current().key_id):
        await rewrap_data_keys(pool, mine, KeyEncryptionKey(os.urandom(32)))

    assert await pool.fetch("SELECT * FROM eventstore.subject_keys ORDER BY subject_id") == before


async def test_the_database_refuses_an_unwrapped_data_key_from_any_client(
    pool: asyncpg.Pool,
) -> None:
    with pytest.raises(asyncpg.PostgresError, match="must be wrapped"):
        await pool.execute(
            "INSERT INTO eventstore.subject_keys (subject_id, data_key) VALUES ('p', $1)",
            os.urandom(32),
        )
    await pool.execute(
        "INSERT INTO eventstore.key_encryption_keys (kek_id) VALUES ('k-0000000000000000')"
    )
    await pool.execute(
        "UPDATE eventstore.key_encryption_keys SET retired_at = now()"
        " WHERE kek_id = 'k-0000000000000000'"
    )
    with pytest.raises(asyncpg.PostgresError, match="stays retired"):
        await pool.execute(
            "UPDATE eventstore.key_encryption_keys SET retired_at = NULL"
            " WHERE kek_id = 'k-0000000000000000'"
        )
