"""Per-subject data keys: created on first personal write, destroyed on erasure.

A key store is the only place a data key lives. ``PostgresKeyStore`` keeps keys in
``eventstore.subject_keys`` (wrapped under a key-encryption key kept outside the database, so a
database dump alone decrypts nothing); ``InMemoryKeyStore`` serves unit tests.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from typing import Protocol

import asyncpg

from eventstore.errors import KeyEncryptionKeyUnavailable, SubjectErased
from eventstore.key_encryption import KeyEncryptionKeys, KeyWrapper
from eventstore.personal_data import DATA_KEY_BYTES


class KeyStore(Protocol):
    """Where the event store gets and destroys subjects' data keys."""

    async def key_for_writing(self, subject_id: str) -> bytes:
        """Return the subject's data key, creating it on first use.

        Raises:
            SubjectErased: the subject's key was destroyed; it never comes back.
        """
        ...

    async def keys_for_reading(self, subject_ids: Collection[str]) -> dict[str, bytes]:
        """Return the keys that still exist among ``subject_ids`` (erased subjects are absent)."""
        ...

    async def destroy(self, subject_id: str) -> None:
        """Destroy the subject's key for good (idempotent; also blocks creating a new one)."""
        ...


class InMemoryKeyStore:
    """A key store in a dict, for unit tests and the in-memory event store."""

    def __init__(self) -> None:
        self._keys: dict[str, bytes | None] = {}

    async def key_for_writing(self, subject_id: str) -> bytes:
        """See ``KeyStore.key_for_writing``."""
        if subject_id not in self._keys:
            self._keys[subject_id] = os.urandom(DATA_KEY_BYTES)
        key = self._keys[subject_id]
        if key is None:
            raise SubjectErased(subject_id)
        return key

    async def keys_for_reading(self, subject_ids: Collection[str]) -> dict[str, bytes]:
        """See ``KeyStore.keys_for_reading``."""
        return {s: k for s in subject_ids if (k := self._keys.get(s)) is not None}

    async def destroy(self, subject_id: str) -> None:
        """See ``KeyStore.destroy``."""
        self._keys[subject_id] = None


class PostgresKeyStore:
    """Data keys in ``eventstore.subject_keys``, each wrapped under a key-encryption key (KEK).

    Args:
        pool: the application's pool.
        key_encryption_keys: the KEKs this process holds (setting, key file, KMS). Without them
            the store refuses to create or read any data key: it never stores one unwrapped
            (migration 0010 refuses that too), so a copy of the database decrypts nothing.
    """

    def __init__(
        self, pool: asyncpg.Pool, *, key_encryption_keys: KeyEncryptionKeys | None = None
    ) -> None:
        self._pool = pool
        self._keks = key_encryption_keys
        self._registered: set[str] = set()

    async def key_for_writing(self, subject_id: str) -> bytes:
        """See ``KeyStore.key_for_writing``.

        Raises:
            KeyEncryptionKeyUnavailable: no KEK, or the current one was retired by a rotation.
        """
        kek = self._current()
        await self._register(kek.key_id)
        candidate = os.urandom(DATA_KEY_BYTES)
        # Two tries: when a concurrent first write inserts the key after this statement's
        # snapshot, ON CONFLICT sees it but the SELECT branch does not; the retry does.
        for _ in range(2):
            try:
                row = await self._pool.fetchrow(
                    """
                    WITH inserted AS (
                        INSERT INTO eventstore.subject_keys (subject_id, data_key, kek_id)
                        VALUES ($1, $2, $3)
                        ON CONFLICT (subject_id) DO NOTHING
                        RETURNING data_key, kek_id, erased_at
                    )
                    SELECT data_key, kek_id, erased_at FROM inserted
                    UNION ALL
                    SELECT data_key, kek_id, erased_at FROM eventstore.subject_keys
                    WHERE subject_id = $1
                    LIMIT 1
                    """,
                    subject_id,
                    kek.wrap(subject_id, candidate),
                    kek.key_id,
                )
            except asyncpg.PostgresError as exc:
                if exc.sqlstate == _RETIRED_KEK:
                    raise _retired(kek.key_id) from None
                raise
            if row is not None:
                if row["erased_at"] is not None:
                    raise SubjectErased(subject_id)
                return self._unwrapped(subject_id, row["data_key"], row["kek_id"])
        raise RuntimeError(f"could not create or read the data key of subject {subject_id}")

    async def keys_for_reading(self, subject_ids: Collection[str]) -> dict[str, bytes]:
        """See ``KeyStore.keys_for_reading``.

        Raises:
            KeyEncryptionKeyUnavailable: a live key is wrapped under a KEK this process lacks.
        """
        if not subject_ids:
            return {}
        rows = await self._pool.fetch(
            "SELECT subject_id, data_key, kek_id FROM eventstore.subject_keys"
            " WHERE subject_id = ANY($1::text[]) AND data_key IS NOT NULL",
            list(subject_ids),
        )
        return {
            r["subject_id"]: self._unwrapped(r["subject_id"], r["data_key"], r["kek_id"])
            for r in rows
        }

    async def destroy(self, subject_id: str) -> None:
        """See ``KeyStore.destroy``."""
        await self._pool.execute(
            """
            INSERT INTO eventstore.subject_keys (subject_id, data_key, erased_at)
            VALUES ($1, NULL, clock_timestamp())
            ON CONFLICT (subject_id) DO UPDATE
            SET data_key = NULL,
                erased_at = coalesce(subject_keys.erased_at, excluded.erased_at)
            """,
            subject_id,
        )

    def _current(self) -> KeyWrapper:
        if self._keks is None:
            raise KeyEncryptionKeyUnavailable(
                "no key-encryption key was given to the key store: data keys are never stored"
                " unwrapped (pass key_encryption_keys)"
            )
        return self._keks.current()

    async def _register(self, kek_id: str) -> None:
        # Once per process and KEK: the id must exist before a key row may name it (0010).
        if kek_id in self._registered:
            return
        await self._pool.execute(
            "INSERT INTO eventstore.key_encryption_keys (kek_id) VALUES ($1)"
            " ON CONFLICT (kek_id) DO NOTHING",
            kek_id,
        )
        self._registered.add(kek_id)

    def _unwrapped(self, subject_id: str, stored: bytes, kek_id: str | None) -> bytes:
        if kek_id is None:
            # Written before the key hierarchy (migration 0010); every process wraps these at
            # start (workers.database), so this row is read in the moment before that commits.
            self._current()
            return stored
        kek = None if self._keks is None else self._keks.by_id(kek_id)
        if kek is None:
            raise KeyEncryptionKeyUnavailable(
                f"data key of subject {subject_id} is wrapped under key-encryption key {kek_id},"
                " which this process does not hold"
            )
        return kek.unwrap(subject_id, stored)


_RETIRED_KEK = "PK003"


def _retired(kek_id: str) -> KeyEncryptionKeyUnavailable:
    return KeyEncryptionKeyUnavailable(
        f"key-encryption key {kek_id} was retired by a rotation; restart with the current one"
    )
