"""Processes fail closed without the key-encryption key, and a rotation survives a crash.

Real PostgreSQL; the processes are ``connect_database`` as every pathways process calls it.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import stat
import uuid
from collections.abc import Collection
from pathlib import Path

import pytest

from eventstore import NewEvent, PostgresEventStore, create_pool
from eventstore.key_encryption import KeyEncryptionKey
from eventstore.key_hierarchy import erasure_completion, key_hierarchy_state, rewrap_data_keys
from eventstore.migrate import migration_files
from tests.integration.eventstore.factories import new_event, stream_name
from tests.keys import TEST_KEY_ENCRYPTION_KEY
from workers import key_files
from workers.database import Database, connect_database
from workers.key_encryption_keys import (
    KEY_FILE_NAME,
    NEXT_KEY_FILE_NAME,
    KeyEncryptionKeyError,
    rotate,
)
from workers.settings import Settings


def file_settings(data_dir: Path) -> Settings:
    """A process of the embedded default: the key-encryption key is the data directory's file."""
    return Settings(data_dir=data_dir, key_encryption_key=None)


def setting_settings(data_dir: Path, key: str) -> Settings:
    """A process given the key-encryption key by ``PATHWAYS_KEY_ENCRYPTION_KEY``."""
    return Settings(data_dir=data_dir, key_encryption_key=key)


def personal(person: str, note: str) -> NewEvent:
    return new_event(subject_id=person, personal=frozenset({"note"}), note=note)


async def write_person(database: Database, note: str) -> tuple[str, str]:
    person, stream = f"person-{uuid.uuid4()}", stream_name()
    await database.event_store().append(stream, [personal(person, note)])
    return person, stream


async def note_of(database: Database, stream: str) -> object:
    return (await database.event_store().read_stream(stream))[0].payload["note"]


async def test_the_embedded_key_file_is_made_once_private_and_wraps_every_key(
    tmp_path: Path, database_url: str
) -> None:
    database = await connect_database(file_settings(tmp_path), database_url)
    try:
        _, stream = await write_person(database, "hello")
        kek_id = await database.pool.fetchval("SELECT DISTINCT kek_id FROM eventstore.subject_keys")
    finally:
        await database.close()
    key_file = tmp_path / KEY_FILE_NAME

    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert kek_id == KeyEncryptionKey(key_files.parse_key_text(key_file.read_text())).key_id
    again = await connect_database(file_settings(tmp_path), database_url)
    try:
        assert await note_of(again, stream) == "hello"
    finally:
        await again.close()


async def test_a_process_without_the_key_refuses_to_start_with_one_line(
    tmp_path: Path, database_url: str
) -> None:
    database = await connect_database(file_settings(tmp_path / "first"), database_url)
    try:
        await write_person(database, "hello")
    finally:
        await database.close()

    # Another machine's data directory: no key file. It must not make a key of its own.
    with pytest.raises(KeyEncryptionKeyError) as missing:
        await connect_database(file_settings(tmp_path / "second"), database_url)
    # The wrong key given by the setting.
    with pytest.raises(KeyEncryptionKeyError) as wrong:
        await connect_database(
            setting_settings(tmp_path / "second", TEST_KEY_ENCRYPTION_KEY), database_url
        )

    for refusal in (missing.value, wrong.value):
        assert "\n" not in str(refusal)
        assert "PATHWAYS_KEY_ENCRYPTION_KEY" in str(refusal)
    assert not (tmp_path / "second" / KEY_FILE_NAME).exists()
    assert "which this process does not hold" in str(wrong.value)


async def test_a_rotation_destroys_the_old_key_file_and_keeps_every_person_readable(
    tmp_path: Path, database_url: str
) -> None:
    settings = file_settings(tmp_path)
    database = await connect_database(settings, database_url)
    try:
        old_text = (tmp_path / KEY_FILE_NAME).read_text()
        _, stream = await write_person(database, "kept")
        erased, _ = await write_person(database, "gone")
        await database.event_store().erase(erased, actor="dpo-1")
        keys = database.keyring.key_encryption_keys
        assert keys is not None
        assert not (await erasure_completion(database.pool, erased, keys)).complete

        outcome = await rotate(settings, database.pool, keys)

        assert outcome.old_key_destroyed
        assert (tmp_path / KEY_FILE_NAME).read_text() != old_text
        assert not (tmp_path / NEXT_KEY_FILE_NAME).exists()
        completion = await erasure_completion(database.pool, erased, outcome.held)
        assert completion.complete, completion.reason
    finally:
        await database.close()
    restarted = await connect_database(settings, database_url)
    try:
        assert await note_of(restarted, stream) == "kept"
        state = await key_hierarchy_state(restarted.pool, restarted.keyring.key_encryption_keys)
        assert [k.held for k in state.key_encryption_keys] == [False, True]
    finally:
        await restarted.close()


async def test_a_crash_between_the_commit_and_the_key_file_replacement_loses_no_key(
    tmp_path: Path, database_url: str
) -> None:
    settings = file_settings(tmp_path)
    database = await connect_database(settings, database_url)
    try:
        _, stream = await write_person(database, "kept")
        keys = database.keyring.key_encryption_keys
        assert keys is not None
        # The rotation's steps up to its commit, then the process "dies" before the rename.
        text = key_files.new_key_text()
        key_files.create_key_file(tmp_path / NEXT_KEY_FILE_NAME, text)
        await rewrap_data_keys(
            database.pool, keys, KeyEncryptionKey(key_files.parse_key_text(text))
        )
    finally:
        await database.close()

    restarted = await connect_database(settings, database_url)
    try:
        assert await note_of(restarted, stream) == "kept"
        assert (tmp_path / KEY_FILE_NAME).read_text().strip() == text
        assert not (tmp_path / NEXT_KEY_FILE_NAME).exists()
    finally:
        await restarted.close()


async def test_a_crash_before_the_commit_leaves_the_old_key_in_force(
    tmp_path: Path, database_url: str
) -> None:
    settings = file_settings(tmp_path)
    database = await connect_database(settings, database_url)
    try:
        _, stream = await write_person(database, "kept")
    finally:
        await database.close()
    old_text = (tmp_path / KEY_FILE_NAME).read_text()
    stale = key_files.new_key_text()
    key_files.create_key_file(tmp_path / NEXT_KEY_FILE_NAME, stale)

    restarted = await connect_database(settings, database_url)
    try:
        assert await note_of(restarted, stream) == "kept"
        assert (tmp_path / KEY_FILE_NAME).read_text() == old_text
        # Left alone (it could be a rotation running now elsewhere); the next rotation takes
        # its place, and the key it commits to is the one that ends in the key file.
        keys = restarted.keyring.key_encryption_keys
        assert keys is not None
        await rotate(settings, restarted.pool, keys)
        assert stale not in (tmp_path / KEY_FILE_NAME).read_text()
        assert not (tmp_path / NEXT_KEY_FILE_NAME).exists()
    finally:
        await restarted.close()
    again = await connect_database(settings, database_url)
    try:
        assert await note_of(again, stream) == "kept"
    finally:
        await again.close()


async def test_with_the_setting_a_rotation_hands_the_new_key_to_the_operator(
    tmp_path: Path, database_url: str
) -> None:
    old = setting_settings(tmp_path, TEST_KEY_ENCRYPTION_KEY)
    database = await connect_database(old, database_url)
    try:
        _, stream = await write_person(database, "kept")
        keys = database.keyring.key_encryption_keys
        assert keys is not None
        outcome = await rotate(old, database.pool, keys)
    finally:
        await database.close()

    assert not outcome.old_key_destroyed
    assert outcome.new_key_text is not None
    assert "PATHWAYS_KEY_ENCRYPTION_KEY" in outcome.instructions
    # Still started with the old key: refused, pointing at where the new key waits.
    with pytest.raises(KeyEncryptionKeyError, match=NEXT_KEY_FILE_NAME):
        await connect_database(old, database_url)
    new = await connect_database(setting_settings(tmp_path, outcome.new_key_text), database_url)
    try:
        assert await note_of(new, stream) == "kept"
        assert not (tmp_path / NEXT_KEY_FILE_NAME).exists()
    finally:
        await new.close()


class OneKey:
    """The key store of a process before the key hierarchy: one raw data key per subject."""

    def __init__(self, subject_id: str, key: bytes) -> None:
        self._subject_id, self._key = subject_id, key

    async def key_for_writing(self, subject_id: str) -> bytes:
        assert subject_id == self._subject_id
        return self._key

    async def keys_for_reading(self, subject_ids: Collection[str]) -> dict[str, bytes]:
        return {self._subject_id: self._key}

    async def destroy(self, subject_id: str) -> None:
        raise AssertionError("not used")


async def test_keys_stored_unwrapped_before_the_hierarchy_are_wrapped_at_start_and_never_complete(
    tmp_path: Path, database_url: str
) -> None:
    # A database as the previous release left it: migrated up to 0009, a key stored unwrapped.
    pool = await create_pool(database_url)
    try:
        async with pool.acquire() as connection:
            await connection.execute(
                "CREATE SCHEMA eventstore; CREATE TABLE eventstore.schema_migrations"
                " (name text PRIMARY KEY, checksum text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT clock_timestamp())"
            )
            for name, sql in migration_files():
                if name >= "0010":
                    break
                await connection.execute(sql)
                await connection.execute(
                    "INSERT INTO eventstore.schema_migrations VALUES ($1, $2)",
                    name,
                    hashlib.sha256(sql.encode()).hexdigest(),
                )
        person, stream, raw = f"person-{uuid.uuid4()}", stream_name(), os.urandom(32)
        await pool.execute(
            "INSERT INTO eventstore.subject_keys (subject_id, data_key) VALUES ($1, $2)",
            person,
            raw,
        )
        await PostgresEventStore(pool, OneKey(person, raw)).append(
            stream, [personal(person, "before")]
        )
    finally:
        await pool.close()
    settings = file_settings(tmp_path)

    database = await connect_database(settings, database_url)
    try:
        row = await database.pool.fetchrow("SELECT * FROM eventstore.subject_keys")
        assert row is not None
        assert row["kek_id"] is not None
        assert row["stored_unwrapped"]
        assert raw not in row["data_key"]
        assert await note_of(database, stream) == "before"
        await database.event_store().erase(person, actor="dpo-1")
        keys = database.keyring.key_encryption_keys
        assert keys is not None
        outcome = await rotate(settings, database.pool, keys)
        completion = await erasure_completion(database.pool, person, outcome.held)
    finally:
        await database.close()

    # Its unwrapped copies predate the hierarchy: no rotation can make them unreadable.
    assert not completion.complete
    assert "stored unwrapped" in completion.reason


async def test_two_rotations_at_once_lose_no_key(tmp_path: Path, database_url: str) -> None:
    settings = file_settings(tmp_path)
    first = await connect_database(settings, database_url)
    second = await connect_database(settings, database_url)
    try:
        _, stream = await write_person(first, "kept")
        keys = [d.keyring.key_encryption_keys for d in (first, second)]
        assert keys[0] is not None
        assert keys[1] is not None

        outcomes = await asyncio.gather(
            rotate(settings, first.pool, keys[0]),
            rotate(settings, second.pool, keys[1]),
            return_exceptions=True,
        )
    finally:
        await first.close()
        await second.close()

    # One wins; the other, serialised behind it, finds the keys re-wrapped under a key it does
    # not hold and changes nothing.
    assert sorted(type(o).__name__ for o in outcomes) == [
        "KeyEncryptionKeyUnavailable",
        "RotationOutcome",
    ]
    restarted = await connect_database(settings, database_url)
    try:
        assert await note_of(restarted, stream) == "kept"
    finally:
        await restarted.close()
