"""The key hierarchy in the database: which KEKs wrap what, rotation, and erasure completion.

An erasure destroys a subject's data key, but earlier copies of the wrapped key remain in the
table's old row versions, the WAL, WAL archives and backups. Those copies are harmless once every
key-encryption key (KEK) that ever wrapped the data key has been destroyed. So an erasure is
*complete* when every KEK recorded for the subject in ``subject_key_wrappings`` was retired by a
rotation and is no longer held by this process, and the key was never stored unwrapped (keys
written before migration 0010 were; their old copies cannot be reached by any rotation).
"""

from __future__ import annotations

from datetime import datetime

import asyncpg
from pydantic import BaseModel

from eventstore.connections import Connection
from eventstore.errors import KeyEncryptionKeyUnavailable
from eventstore.key_encryption import KeyEncryptionKeys, KeyWrapper

_LOCK_KEYS = "LOCK TABLE eventstore.subject_keys IN SHARE ROW EXCLUSIVE MODE"


class KeyEncryptionKeyState(BaseModel, frozen=True):
    """One KEK the database knows: how many live data keys it wraps, whether it was retired."""

    kek_id: str
    live_data_keys: int
    retired_at: datetime | None
    held: bool


class KeyHierarchyState(BaseModel, frozen=True):
    """What ``pathways admin keys status`` shows."""

    current_kek_id: str | None
    key_encryption_keys: list[KeyEncryptionKeyState]
    unwrapped_data_keys: int
    erased_subjects: int


async def key_hierarchy_state(
    pool: asyncpg.Pool, keys: KeyEncryptionKeys | None
) -> KeyHierarchyState:
    """The KEKs the database names, and whether this process holds each."""
    rows = await pool.fetch(
        """
        SELECT k.kek_id, k.retired_at,
               (SELECT count(*) FROM eventstore.subject_keys s
                WHERE s.kek_id = k.kek_id AND s.data_key IS NOT NULL) AS live
        FROM eventstore.key_encryption_keys k
        ORDER BY k.created_at, k.kek_id
        """
    )
    counts = await pool.fetchrow(
        """
        SELECT count(*) FILTER (WHERE data_key IS NOT NULL AND kek_id IS NULL) AS unwrapped,
               count(*) FILTER (WHERE erased_at IS NOT NULL) AS erased
        FROM eventstore.subject_keys
        """
    )
    assert counts is not None
    return KeyHierarchyState(
        current_kek_id=None if keys is None else keys.current().key_id,
        key_encryption_keys=[
            KeyEncryptionKeyState(
                kek_id=r["kek_id"],
                live_data_keys=r["live"],
                retired_at=r["retired_at"],
                held=keys is not None and keys.by_id(r["kek_id"]) is not None,
            )
            for r in rows
        ],
        unwrapped_data_keys=counts["unwrapped"],
        erased_subjects=counts["erased"],
    )


async def missing_key_encryption_keys(
    pool: asyncpg.Pool, keys: KeyEncryptionKeys | None
) -> list[str]:
    """Ids of KEKs that wrap live data keys but that this process does not hold (sorted)."""
    rows = await pool.fetch(
        "SELECT DISTINCT kek_id FROM eventstore.subject_keys"
        " WHERE data_key IS NOT NULL AND kek_id IS NOT NULL ORDER BY kek_id"
    )
    return [r["kek_id"] for r in rows if keys is None or keys.by_id(r["kek_id"]) is None]


async def wrap_unwrapped_keys(pool: asyncpg.Pool, keys: KeyEncryptionKeys) -> int:
    """Wrap every data key stored before the key hierarchy under the current KEK (one
    transaction); return how many. Their rows keep ``stored_unwrapped``: the old copies remain."""
    kek = keys.current()
    # Checked before locking: every process runs this at start, and the lock would make appends
    # of other processes wait although there is almost never anything to wrap.
    if not await pool.fetchval(
        "SELECT EXISTS (SELECT FROM eventstore.subject_keys"
        " WHERE data_key IS NOT NULL AND kek_id IS NULL)"
    ):
        return 0
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(_LOCK_KEYS)
        rows = await conn.fetch(
            "SELECT subject_id, data_key FROM eventstore.subject_keys"
            " WHERE data_key IS NOT NULL AND kek_id IS NULL"
        )
        if not rows:
            return 0
        await _register(conn, kek)
        await conn.executemany(
            "UPDATE eventstore.subject_keys SET data_key = $2, kek_id = $3 WHERE subject_id = $1",
            [(r["subject_id"], kek.wrap(r["subject_id"], r["data_key"]), kek.key_id) for r in rows],
        )
        return len(rows)


class Rotation(BaseModel, frozen=True):
    """What a rotation did: every live data key now wrapped under ``new_kek_id``."""

    new_kek_id: str
    rewrapped: int
    retired_kek_ids: list[str]


async def rewrap_data_keys(
    pool: asyncpg.Pool, keys: KeyEncryptionKeys, new: KeyWrapper
) -> Rotation:
    """Re-wrap every live data key under ``new`` and retire every other KEK, in one transaction.

    Either every key is re-wrapped and the old KEKs are retired, or nothing changes: a crash
    before the commit leaves the old wrapping in force, so no key is lost. New keys cannot be
    created meanwhile (the table is locked), so none slips in under a KEK being retired.

    Raises:
        KeyEncryptionKeyUnavailable: a live key is wrapped under a KEK ``keys`` does not hold.
    """
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(_LOCK_KEYS)
        rows = await conn.fetch(
            "SELECT subject_id, data_key, kek_id FROM eventstore.subject_keys"
            " WHERE data_key IS NOT NULL"
        )
        updates = []
        for r in rows:
            data_key = r["data_key"]
            if r["kek_id"] is not None:
                old = keys.by_id(r["kek_id"])
                if old is None:
                    raise KeyEncryptionKeyUnavailable(
                        f"data keys are wrapped under key-encryption key {r['kek_id']}, which"
                        " this process does not hold; nothing was rotated"
                    )
                data_key = old.unwrap(r["subject_id"], data_key)
            updates.append((r["subject_id"], new.wrap(r["subject_id"], data_key), new.key_id))
        await _register(conn, new)
        await conn.executemany(
            "UPDATE eventstore.subject_keys SET data_key = $2, kek_id = $3 WHERE subject_id = $1",
            updates,
        )
        retired = await conn.fetch(
            "UPDATE eventstore.key_encryption_keys SET retired_at = clock_timestamp()"
            " WHERE retired_at IS NULL AND kek_id <> $1 RETURNING kek_id",
            new.key_id,
        )
    return Rotation(
        new_kek_id=new.key_id,
        rewrapped=len(updates),
        retired_kek_ids=sorted(r["kek_id"] for r in retired),
    )


class ErasureCompletion(BaseModel, frozen=True):
    """Whether a subject's erasure is complete (docs/security.md, "Erasure"), and why.

    ``pending_kek_ids`` are the KEKs that wrapped the subject's key and are not yet destroyed.
    """

    subject_id: str
    erased_at: datetime | None
    complete: bool
    reason: str
    wrapped_under: list[str]
    pending_kek_ids: list[str]
    stored_unwrapped: bool


async def erasure_completion(
    pool: asyncpg.Pool, subject_id: str, keys: KeyEncryptionKeys | None
) -> ErasureCompletion:
    """Decide whether the erasure of ``subject_id`` is complete, with the reason in a sentence."""
    row = await pool.fetchrow(
        "SELECT erased_at, stored_unwrapped FROM eventstore.subject_keys WHERE subject_id = $1",
        subject_id,
    )
    wrappings = await pool.fetch(
        """
        SELECT w.kek_id, k.retired_at
        FROM eventstore.subject_key_wrappings w
        JOIN eventstore.key_encryption_keys k USING (kek_id)
        WHERE w.subject_id = $1
        ORDER BY w.wrapped_at, w.kek_id
        """,
        subject_id,
    )
    wrapped_under = [w["kek_id"] for w in wrappings]
    pending = [
        w["kek_id"]
        for w in wrappings
        if w["retired_at"] is None or (keys is not None and keys.by_id(w["kek_id"]) is not None)
    ]
    erased_at = None if row is None else row["erased_at"]
    unwrapped = row is not None and row["stored_unwrapped"]

    def answer(complete: bool, reason: str) -> ErasureCompletion:
        return ErasureCompletion(
            subject_id=subject_id,
            erased_at=erased_at,
            complete=complete,
            reason=reason,
            wrapped_under=wrapped_under,
            pending_kek_ids=pending,
            stored_unwrapped=unwrapped,
        )

    if erased_at is None:
        return answer(False, "not erased: the person's data key still exists")
    if unwrapped:
        return answer(
            False,
            "pending: the person's key was stored unwrapped before the key hierarchy"
            " (migration 0010); its old copies stay readable in the database files and the WAL"
            " until VACUUM and WAL recycling remove them, and in every backup taken before the"
            " erasure until those backups expire; no rotation can shorten that",
        )
    in_use = [w["kek_id"] for w in wrappings if w["retired_at"] is None]
    if in_use:
        return answer(
            False,
            f"pending: key-encryption key {', '.join(in_use)} that wrapped the person's key"
            " is still held; run `pathways admin keys rotate`",
        )
    if pending:
        return answer(
            False,
            f"pending: key-encryption key {', '.join(pending)} that wrapped the person's key"
            " was retired by a rotation but is still held by this process: install the new key"
            " (PATHWAYS_KEY_ENCRYPTION_KEY) and destroy the old one",
        )
    if not wrapped_under:
        return answer(True, "complete: the person never had a data key")
    return answer(
        True,
        f"complete: every key-encryption key that wrapped the person's key"
        f" ({', '.join(wrapped_under)}) was destroyed by a rotation",
    )


async def _register(conn: Connection, kek: KeyWrapper) -> None:
    await conn.execute(
        "INSERT INTO eventstore.key_encryption_keys (kek_id) VALUES ($1)"
        " ON CONFLICT (kek_id) DO NOTHING",
        kek.key_id,
    )
