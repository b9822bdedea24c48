"""Signed seals over the access log, made and checked like the event store's (issue 11).

A seal covers the entries after the previous seal's last one, in seq order: its digest commits
to the previous seal's digest, its number, every covered entry's seq and stored hash, the count
and the last seq; it is signed with the deployment's seal key (``eventstore.signing``) under the
name ``access-log``. Rewriting a sealed entry, even with the chain recomputed after it, changes
the digest; recomputing the digests too breaks the signatures; removing sealed entries and seals
together is caught against an anchor recorded before (``eventstore.anchors``).
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg
from pydantic import BaseModel

from eventstore.anchors import Anchor, check_anchors
from eventstore.connections import Connection
from eventstore.signing import SealedLog, SealSigner, SealVerifier

_TAG = b"pathways-access-seal-v1"
_GENESIS = bytes(32)
_INT64 = struct.Struct(">q")
# Why an advisory lock: two sealers must not both seal the same range under the same number
# (the insert function takes the same lock; one above the event store's sealing lock).
_ACCESS_SEAL_LOCK = 0x7061746877617975


class AccessSeal(BaseModel, frozen=True):
    """One access-log seal as stored."""

    seal_number: int
    last_seq: int
    entry_count: int
    previous_digest: bytes
    digest: bytes
    signature: bytes | None
    signing_key_id: str | None
    sealed_at: datetime


class _Digest:
    def __init__(self, previous: bytes, seal_number: int) -> None:
        self._hash = hashlib.sha256(_TAG + previous + _INT64.pack(seal_number))
        self.count = 0

    def add(self, seq: int, entry_hash: bytes) -> None:
        self._hash.update(_INT64.pack(seq) + entry_hash)
        self.count += 1

    def finish(self, last_seq: int) -> bytes:
        self._hash.update(_INT64.pack(self.count) + _INT64.pack(last_seq))
        return self._hash.digest()


async def seal_access_log(
    pool: asyncpg.Pool, *, signer: SealSigner | None, max_entries_per_seal: int = 100_000
) -> list[AccessSeal]:
    """Seal every access-log entry not yet sealed, in ranges of at most ``max_entries_per_seal``.

    Returns:
        The seals made now, oldest first.
    """
    made: list[AccessSeal] = []
    while True:
        async with pool.acquire() as conn, conn.transaction():
            new_seal = await _seal_one(conn, signer, max_entries_per_seal)
        if new_seal is None:
            return made
        made.append(new_seal)


async def _seal_one(conn: Connection, signer: SealSigner | None, limit: int) -> AccessSeal | None:
    await conn.execute("SELECT pg_advisory_xact_lock($1)", _ACCESS_SEAL_LOCK)
    last = await conn.fetchrow(
        "SELECT seal_number, last_seq, digest,"
        " (SELECT sum(entry_count) FROM api.access_log_seals) AS covered"
        " FROM api.access_log_seals ORDER BY seal_number DESC LIMIT 1"
    )
    number = 1 if last is None else int(last["seal_number"]) + 1
    previous = _GENESIS if last is None else bytes(last["digest"])
    after = 0 if last is None else int(last["last_seq"])
    rows = await conn.fetch(
        "SELECT seq, entry_hash FROM api.access_log WHERE seq > $1 ORDER BY seq LIMIT $2",
        after,
        limit,
    )
    if not rows:
        return None
    digest = _Digest(previous, number)
    for row in rows:
        digest.add(int(row["seq"]), bytes(row["entry_hash"]))
    last_seq = int(rows[-1]["seq"])
    final = digest.finish(last_seq)
    covered = digest.count + (0 if last is None else int(last["covered"]))
    signature = (
        None
        if signer is None
        else signer.sign(SealedLog.ACCESS_LOG, seal_number=number, covered=covered, digest=final)
    )
    inserted = await conn.fetchrow(
        "SELECT * FROM api.insert_access_log_seal($1, $2, $3, $4, $5, $6, $7)",
        number,
        last_seq,
        digest.count,
        previous,
        final,
        signature,
        None if signer is None else signer.verifier.key_id,
    )
    assert inserted is not None
    return AccessSeal.model_validate(dict(inserted))


@dataclass
class AccessSealCheck:
    """What checking the access log's seals found."""

    failures: list[str] = field(default_factory=list)
    seals_checked: int = 0
    last_seal_number: int | None = None
    last_seal_digest: bytes | None = None
    unsealed_entries: int = 0


def _describe(seal: asyncpg.Record) -> str:
    return f"access-log seal {seal['seal_number']} (entries up to {seal['last_seq']})"


async def check_access_seals(
    conn: Connection,
    *,
    verifier: SealVerifier | None,
    anchors: list[Anchor],
    batch_size: int = 5000,
) -> AccessSealCheck:
    """Recompute every access-log seal from the stored entries; check signatures and anchors.

    Args:
        conn: a connection (ideally in a repeatable-read transaction with the chain check).
        verifier: the seal verify key; every seal must then be signed under it.
        anchors: recorded anchors; those of the access log are checked.
        batch_size: entries fetched per round trip.
    """
    check = AccessSealCheck()
    seals = await conn.fetch(
        "SELECT seal_number, last_seq, entry_count, previous_digest, digest, signature,"
        " signing_key_id FROM api.access_log_seals ORDER BY seal_number"
    )
    previous = _GENESIS
    covered = 0
    wanted = {a.seal_number for a in anchors if a.log is SealedLog.ACCESS_LOG}
    anchored: dict[int, tuple[bytes, int]] = {}
    after = 0
    for expected_number, seal in enumerate(seals, start=1):
        digest = _Digest(previous, expected_number)
        rows = await conn.fetch(
            "SELECT seq, entry_hash FROM api.access_log WHERE seq > $1 AND seq <= $2 ORDER BY seq",
            after,
            seal["last_seq"],
        )
        for row in rows:
            digest.add(int(row["seq"]), bytes(row["entry_hash"]))
        count = digest.count
        recomputed = digest.finish(int(seal["last_seq"]))
        stored = bytes(seal["digest"])
        covered += int(seal["entry_count"])
        if seal["seal_number"] != expected_number:
            check.failures.append(
                f"{_describe(seal)}: out of sequence (expected {expected_number})"
            )
        elif bytes(seal["previous_digest"]) != previous:
            check.failures.append(f"{_describe(seal)}: does not chain to the seal before it")
        elif count != seal["entry_count"]:
            check.failures.append(
                f"{_describe(seal)}: digest mismatch ({count} entries found in its range,"
                f" {seal['entry_count']} sealed)"
            )
        elif recomputed != stored:
            check.failures.append(f"{_describe(seal)}: digest mismatch (entries altered)")
        elif verifier is not None:
            failure = _signature_failure(seal, verifier, covered)
            if failure is not None:
                check.failures.append(failure)
        if seal["seal_number"] in wanted:
            anchored[seal["seal_number"]] = (stored, covered)
        previous, after = stored, int(seal["last_seq"])
        check.seals_checked += 1
    check.unsealed_entries = int(
        await conn.fetchval("SELECT count(*) FROM api.access_log WHERE seq > $1", after) or 0
    )
    if seals:
        check.last_seal_number = int(seals[-1]["seal_number"])
        check.last_seal_digest = previous
    mine = [a for a in anchors if a.log is SealedLog.ACCESS_LOG]
    check.failures[:0] = check_anchors(
        mine, anchored, newest_seal=check.seals_checked, verifier=verifier
    )
    return check


def _signature_failure(seal: asyncpg.Record, verifier: SealVerifier, covered: int) -> str | None:
    signature = seal["signature"]
    if signature is None:
        return f"{_describe(seal)}: not signed"
    if seal["signing_key_id"] != verifier.key_id:
        return f"{_describe(seal)}: signed with another key ({seal['signing_key_id']})"
    if not verifier.check(
        SealedLog.ACCESS_LOG,
        seal_number=int(seal["seal_number"]),
        covered=covered,
        digest=bytes(seal["digest"]),
        signature=bytes(signature),
    ):
        return f"{_describe(seal)}: signature does not hold (seal forged or recomputed)"
    return None


async def newest_access_seal(conn: Connection) -> tuple[asyncpg.Record, int] | None:
    """The newest access-log seal and the entries the seals through it cover (for anchors)."""
    row = await conn.fetchrow(
        "SELECT seal_number, digest, signature, signing_key_id,"
        " (SELECT sum(entry_count) FROM api.access_log_seals) AS covered"
        " FROM api.access_log_seals ORDER BY seal_number DESC LIMIT 1"
    )
    return None if row is None else (row, int(row["covered"]))
