"""Per-subject data keys: created on first personal write, destroyed on erasure.

A key store is the only place a data key lives. ``PostgresKeyStore`` keeps keys in
``eventstore.subject_keys`` (optionally wrapped under a master key kept outside the database, so a
database dump alone decrypts nothing); ``InMemoryKeyStore`` serves unit tests.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from typing import Protocol

import asyncpg
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from eventstore.errors import CorruptEvent, SubjectErased
from eventstore.personal_data import DATA_KEY_BYTES

_WRAP_NONCE_BYTES = 12


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
    """Data keys in ``eventstore.subject_keys``, optionally wrapped under ``master_key``.

    Args:
        pool: the application's pool.
        master_key: 32 bytes kept outside the database (settings, KMS). When given, the table
            holds only wrapped keys, so neither a dump nor the table's old row versions expose a
            usable key once the master key is kept apart.
    """

    def __init__(self, pool: asyncpg.Pool, *, master_key: bytes | None = None) -> None:
        if master_key is not None and len(master_key) != 32:
            raise ValueError("master_key must be 32 bytes (AES-256)")
        self._pool = pool
        self._wrap = None if master_key is None else AESGCM(master_key)

    async def key_for_writing(self, subject_id: str) -> bytes:
        """See ``KeyStore.key_for_writing``."""
        candidate = os.urandom(DATA_KEY_BYTES)
        # Two tries: when a concurrent first write inserts the key after this statement's
        # snapshot, ON CONFLICT sees it but the SELECT branch does not; the retry does.
        for _ in range(2):
            row = await self._pool.fetchrow(
                """
                WITH inserted AS (
                    INSERT INTO eventstore.subject_keys (subject_id, data_key) VALUES ($1, $2)
                    ON CONFLICT (subject_id) DO NOTHING
                    RETURNING data_key, erased_at
                )
                SELECT data_key, erased_at FROM inserted
                UNION ALL
                SELECT data_key, erased_at FROM eventstore.subject_keys WHERE subject_id = $1
                LIMIT 1
                """,
                subject_id,
                self._wrapped(subject_id, candidate),
            )
            if row is not None:
                if row["erased_at"] is not None:
                    raise SubjectErased(subject_id)
                return self._unwrapped(subject_id, row["data_key"])
        raise RuntimeError(f"could not create or read the data key of subject {subject_id}")

    async def keys_for_reading(self, subject_ids: Collection[str]) -> dict[str, bytes]:
        """See ``KeyStore.keys_for_reading``."""
        if not subject_ids:
            return {}
        rows = await self._pool.fetch(
            "SELECT subject_id, data_key FROM eventstore.subject_keys"
            " WHERE subject_id = ANY($1::text[]) AND data_key IS NOT NULL",
            list(subject_ids),
        )
        return {r["subject_id"]: self._unwrapped(r["subject_id"], r["data_key"]) for r in rows}

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

    def _wrapped(self, subject_id: str, key: bytes) -> bytes:
        if self._wrap is None:
            return key
        nonce = os.urandom(_WRAP_NONCE_BYTES)
        return nonce + self._wrap.encrypt(nonce, key, subject_id.encode())

    def _unwrapped(self, subject_id: str, stored: bytes) -> bytes:
        if self._wrap is None:
            return stored
        try:
            return self._wrap.decrypt(
                stored[:_WRAP_NONCE_BYTES], stored[_WRAP_NONCE_BYTES:], subject_id.encode()
            )
        except Exception as exc:
            raise CorruptEvent(f"data key of subject {subject_id} fails unwrapping") from exc
