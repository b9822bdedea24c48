"""Sealing the global log: chained, signed digests over consecutive ranges in commit order."""

from __future__ import annotations

from datetime import datetime

import asyncpg
from pydantic import BaseModel

from eventstore.hashing import GENESIS_HASH, SealDigest
from eventstore.signing import SealedLog, SealSigner

# Why an advisory lock: two sealers must not both seal the same range under the same number.
_SEAL_LOCK = 0x7061746877617974

# Only events below the oldest running transaction are final in commit order; sealing anything
# newer could put a later-committing event inside an already sealed range.
_UNSEALED_SQL = """
    SELECT transaction_id, position, hash
    FROM eventstore.events
    WHERE (transaction_id, position) > ($1::xid8, $2::bigint)
      AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
    ORDER BY transaction_id, position
    LIMIT $3
"""


class Seal(BaseModel, frozen=True):
    """One seal as stored."""

    seal_number: int
    last_transaction_id: int
    last_position: int
    event_count: int
    previous_digest: bytes
    digest: bytes
    sealed_at: datetime
    signature: bytes | None = None
    signing_key_id: str | None = None


async def seal(
    pool: asyncpg.Pool, *, signer: SealSigner | None = None, max_events_per_seal: int = 100_000
) -> list[Seal]:
    """Seal every final event not yet sealed, in ranges of at most ``max_events_per_seal``.

    Call it periodically (a worker timer, cron, or after a batch import). Each seal is its own
    transaction, so a long backlog is sealed in bounded memory and progress survives a crash.
    Seals are inserted through ``eventstore.insert_seal`` (0011), the only way the application
    role may add one.

    Args:
        pool: a pool on the store's database.
        signer: signs each seal (``eventstore.signing``); without one the seals are unsigned,
            which a verify holding a verify key reports.
        max_events_per_seal: the largest range one seal covers.

    Returns:
        The seals created now, oldest first (empty when nothing new was final).
    """
    if max_events_per_seal < 1:
        raise ValueError("max_events_per_seal must be at least 1")
    created: list[Seal] = []
    while (new_seal := await _seal_one(pool, signer, max_events_per_seal)) is not None:
        created.append(new_seal)
    return created


async def _seal_one(pool: asyncpg.Pool, signer: SealSigner | None, limit: int) -> Seal | None:
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", _SEAL_LOCK)
        last = await connection.fetchrow(
            "SELECT seal_number, last_transaction_id, last_position, digest,"
            " (SELECT sum(event_count) FROM eventstore.seals) AS covered"
            " FROM eventstore.seals ORDER BY seal_number DESC LIMIT 1"
        )
        number = 1 if last is None else last["seal_number"] + 1
        previous = GENESIS_HASH if last is None else bytes(last["digest"])
        after_xid = 0 if last is None else int(last["last_transaction_id"])
        after_position = 0 if last is None else int(last["last_position"])
        digest = SealDigest(previous, number)
        last_xid, last_position = after_xid, after_position
        async for row in connection.cursor(
            _UNSEALED_SQL, after_xid, after_position, limit, prefetch=2000
        ):
            digest.add(row["position"], bytes(row["hash"]))
            last_xid, last_position = int(row["transaction_id"]), row["position"]
        if digest.count == 0:
            return None
        count = digest.count
        final = digest.finish(last_transaction_id=last_xid, last_position=last_position)
        covered = count + (0 if last is None else int(last["covered"]))
        signature = (
            None
            if signer is None
            else signer.sign(
                SealedLog.EVENTSTORE, seal_number=number, covered=covered, digest=final
            )
        )
        inserted = await connection.fetchrow(
            "SELECT * FROM eventstore.insert_seal($1, $2, $3, $4, $5, $6, $7, $8)",
            number,
            last_xid,
            last_position,
            count,
            previous,
            final,
            signature,
            None if signer is None else signer.verifier.key_id,
        )
        assert inserted is not None
        return Seal.model_validate(dict(inserted))
