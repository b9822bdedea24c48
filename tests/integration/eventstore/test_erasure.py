"""Erasure leaves no plaintext anywhere in the database, and the history still verifies."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg
import pytest

from eventstore import (
    ERASED,
    KeyEncryptionKeyUnavailable,
    PostgresEventStore,
    PostgresKeyStore,
    StaticKeyEncryptionKeys,
)
from eventstore.connections import Connection
from tests.integration.eventstore.factories import new_event, stream_name


async def database_files(connection: Connection) -> list[Path]:
    """Every file holding this database's tables, the shared catalogs, and the WAL."""
    data_directory = Path(await connection.fetchval("SHOW data_directory"))
    database_oid = await connection.fetchval(
        "SELECT oid FROM pg_database WHERE datname = current_database()"
    )
    folders = [data_directory / "base" / str(database_oid), data_directory / "global"]
    folders.append(data_directory / "pg_wal")
    return [path for folder in folders for path in folder.rglob("*") if path.is_file()]


async def rows_containing(connection: Connection, needle: str) -> list[str]:
    """Names of tables in the eventstore schema with a row whose text contains ``needle``."""
    tables = await connection.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'eventstore'"
    )
    found = []
    for table in tables:
        name = table["tablename"]
        hit = await connection.fetchval(
            f'SELECT count(*) FROM eventstore."{name}" t WHERE t::text LIKE $1',
            f"%{needle}%",
        )
        if hit:
            found.append(name)
    return found


async def test_after_erasure_no_plaintext_remains_and_verify_passes(
    store: PostgresEventStore, pool: asyncpg.Pool, database_url: str
) -> None:
    subject = f"person-{uuid.uuid4()}"
    secret = f"Jensen-{uuid.uuid4().hex}"  # unique, so a hit can only come from this test
    visible = f"municipality-{uuid.uuid4().hex}"  # not personal: proves the scan finds text
    stream = stream_name()
    await store.append(
        stream,
        [
            new_event(
                "PersonRegistered",
                subject_id=subject,
                personal=frozenset({"name", "address"}),
                name=secret,
                address={"street": f"{secret} street 1"},
                municipality=visible,
            ),
            new_event(
                "ContactRecorded", subject_id=subject, personal=frozenset({"note"}), note=secret
            ),
        ],
    )
    await store.seal()
    assert (await store.read_stream(stream))[0].payload["name"] == secret

    await store.erase(subject, actor="dpo-1")

    recorded = await store.read_stream(stream)
    assert recorded[0].payload == {"name": ERASED, "address": ERASED, "municipality": visible}
    assert recorded[1].payload["note"] == ERASED
    assert recorded[-1].type == "PersonalDataErased"
    assert await pool.fetchval(
        "SELECT data_key IS NULL AND erased_at IS NOT NULL FROM eventstore.subject_keys"
        " WHERE subject_id = $1",
        subject,
    )
    report = await store.verify()
    assert report.ok, report.failures
    async with pool.acquire() as connection:
        await connection.execute("CHECKPOINT")  # every page on disk, so the scan sees them
        needle = secret.encode()
        files = await database_files(connection)
        contents = [path.read_bytes() for path in files]
        assert any(visible.encode() in content for content in contents)
        assert not any(needle in content for content in contents)
        assert await rows_containing(connection, secret) == []


async def test_a_key_encryption_key_keeps_data_keys_out_of_the_database(
    pool: asyncpg.Pool,
) -> None:
    keys = StaticKeyEncryptionKeys(bytes(range(32)))
    store = PostgresEventStore(pool, PostgresKeyStore(pool, key_encryption_keys=keys))
    subject = f"person-{uuid.uuid4()}"
    stream = stream_name()
    await store.append(
        stream, [new_event(subject_id=subject, personal=frozenset({"note"}), note="private")]
    )
    row = await pool.fetchrow(
        "SELECT data_key, kek_id FROM eventstore.subject_keys WHERE subject_id = $1", subject
    )
    raw_key = await PostgresKeyStore(pool, key_encryption_keys=keys).key_for_writing(subject)

    assert row is not None
    assert row["kek_id"] == keys.current().key_id
    assert len(row["data_key"]) > len(raw_key)
    assert raw_key not in row["data_key"]
    assert (await store.read_stream(stream))[0].payload["note"] == "private"
    # Without the key-encryption key the data cannot be read (the store refuses, naming the
    # key it lacks, rather than guesses) and nothing personal can be written.
    plain_store = PostgresEventStore(pool)
    with pytest.raises(KeyEncryptionKeyUnavailable, match=keys.current().key_id):
        await plain_store.read_stream(stream)
    with pytest.raises(KeyEncryptionKeyUnavailable, match="never stored unwrapped"):
        await plain_store.append(
            stream_name(), [new_event(subject_id="p-2", personal=frozenset({"n"}), n="x")]
        )
