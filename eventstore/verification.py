"""Verifying the log: every stream's hash chain and every seal, streamed in bounded memory.

Two passes over one snapshot (a repeatable-read, read-only transaction):

1. Streams, by (stream, version): versions run 1, 2, 3... without gaps; each event's hash is
   recomputed from its stored columns and its predecessor's hash; the stream head agrees with
   the last event. This names the first altered, removed or forged event.
2. The global log, in commit order, against the seals: each seal's digest is recomputed over the
   events of its range. This catches whole events removed or inserted where a stream's chain
   cannot (its last event, or a chain recomputed by the forger), and reordering.

Memory holds one stream's state and one seal's running digest, whatever the size of the store.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
from pydantic import BaseModel

from eventstore.connections import Connection
from eventstore.hashing import GENESIS_HASH, SealDigest, content_hash, link_hash_micros

_STREAMS_SQL = """
    SELECT e.stream_id, e.version, e.position, e.event_id, e.type, e.schema_version,
           e.payload::text AS payload, e.metadata::text AS metadata, e.subject_id,
           e.personal_fields, (extract(epoch FROM e.recorded_at) * 1000000)::bigint, e.hash,
           s.version AS head_version, s.last_hash AS head_hash
    FROM eventstore.events e
    LEFT JOIN eventstore.streams s ON s.stream_id = e.stream_id
    ORDER BY e.stream_id, e.version
"""

_EMPTY_HEADS_SQL = """
    SELECT s.stream_id, s.version
    FROM eventstore.streams s
    WHERE s.version > 0
      AND NOT EXISTS (SELECT FROM eventstore.events e WHERE e.stream_id = s.stream_id)
    ORDER BY s.stream_id
    LIMIT $1
"""

_COMMIT_ORDER_SQL = """
    SELECT transaction_id, position, hash FROM eventstore.events
    ORDER BY transaction_id, position
"""

_SEALS_SQL = """
    SELECT seal_number, last_transaction_id, last_position, event_count, previous_digest, digest
    FROM eventstore.seals ORDER BY seal_number
"""


class VerificationReport(BaseModel, frozen=True):
    """What ``verify`` found. ``ok`` is true exactly when ``failures`` is empty."""

    ok: bool
    first_failure: str | None
    failures: list[str]
    """Failures in the order found, at most ``max_failures`` of them."""
    events_checked: int
    streams_checked: int
    seals_checked: int
    sealed_events: int
    unsealed_events: int
    """Events after the newest seal: chained per stream, but not yet covered by a seal."""
    last_seal_digest: str | None
    """Hex digest of the newest seal; record it outside the database to anchor the log."""


@dataclass
class _Findings:
    limit: int
    failures: list[str]

    def add(self, failure: str) -> None:
        if len(self.failures) < self.limit:
            self.failures.append(failure)


@dataclass
class _StreamPassResult:
    events: int = 0
    streams: int = 0


@dataclass
class _SealPassResult:
    seals: int = 0
    sealed: int = 0
    unsealed: int = 0
    last_digest: bytes | None = None


# Column indexes of _STREAMS_SQL and _COMMIT_ORDER_SQL rows (read by index: a verify reads
# every row of the store, and index access is the cheaper one).
_S_STREAM, _S_VERSION, _S_POSITION, _S_EVENT_ID, _S_TYPE, _S_SCHEMA_VERSION = 0, 1, 2, 3, 4, 5
_S_PAYLOAD, _S_METADATA, _S_SUBJECT, _S_PERSONAL, _S_RECORDED_MICROS, _S_HASH = range(6, 12)


async def _batches(
    connection: Connection, sql: str, batch_size: int
) -> AsyncIterator[list[asyncpg.Record]]:
    """Rows of ``sql`` from a server-side cursor, ``batch_size`` per round trip.

    Why batches instead of ``async for row in cursor``: the row iterator awaits once per row,
    which costs more than checking the row.
    """
    cursor = await connection.cursor(sql)
    while rows := await cursor.fetch(batch_size):
        yield rows


async def verify(
    pool: asyncpg.Pool, *, max_failures: int = 100, prefetch: int = 10_000
) -> VerificationReport:
    """Check the whole store's integrity.

    Args:
        pool: a pool on the store's database (read access is enough).
        max_failures: stop collecting after this many failures (checking goes on).
        prefetch: rows fetched per round trip while streaming.

    Returns:
        The report; ``first_failure`` reads like "stream pathway-x version 3: hash mismatch"
        or "seal 2 (global log up to position 81): digest mismatch (...)".
    """
    findings = _Findings(limit=max_failures, failures=[])
    async with (
        pool.acquire() as connection,
        connection.transaction(isolation="repeatable_read", readonly=True),
    ):
        streams = await _check_streams(connection, findings, prefetch)
        empty_heads = await connection.fetch(_EMPTY_HEADS_SQL, max_failures)
        for head in empty_heads:
            findings.add(
                f"stream {head['stream_id']} version 1: missing"
                f" (stream head records version {head['version']}, no events stored)"
            )
        seals = await _check_seals(connection, findings, prefetch)
    return VerificationReport(
        ok=not findings.failures,
        first_failure=findings.failures[0] if findings.failures else None,
        failures=findings.failures,
        events_checked=streams.events,
        streams_checked=streams.streams,
        seals_checked=seals.seals,
        sealed_events=seals.sealed,
        unsealed_events=seals.unsealed,
        last_seal_digest=None if seals.last_digest is None else seals.last_digest.hex(),
    )


def _check_head(
    findings: _Findings, stream_id: str, last_version: int, last_hash: bytes, head: asyncpg.Record
) -> None:
    head_version = head["head_version"]
    if head_version is None:
        findings.add(f"stream {stream_id} version 1: no stream head (forged stream?)")
    elif head_version > last_version:
        findings.add(
            f"stream {stream_id} version {last_version + 1}: missing"
            f" (stream head records version {head_version}, last stored version {last_version})"
        )
    elif head_version < last_version:
        findings.add(
            f"stream {stream_id} version {head_version + 1}: not in the stream head"
            f" (head records version {head_version}, stored up to {last_version})"
        )
    elif bytes(head["head_hash"]) != last_hash:
        findings.add(
            f"stream {stream_id} version {last_version}: stream head hash mismatch"
            " (events after it removed, or the head altered)"
        )


async def _check_streams(
    connection: Connection, findings: _Findings, prefetch: int
) -> _StreamPassResult:
    result = _StreamPassResult()
    stream_id: str | None = None
    previous_hash = GENESIS_HASH
    previous_version = 0
    previous_row: asyncpg.Record | None = None
    async for rows in _batches(connection, _STREAMS_SQL, prefetch):
        result.events += len(rows)
        for row in rows:
            if row[_S_STREAM] != stream_id:
                if stream_id is not None and previous_row is not None:
                    _check_head(findings, stream_id, previous_version, previous_hash, previous_row)
                stream_id = row[_S_STREAM]
                result.streams += 1
                previous_hash, previous_version = GENESIS_HASH, 0
            version: int = row[_S_VERSION]
            stored = bytes(row[_S_HASH])
            if version != previous_version + 1:
                findings.add(
                    f"stream {stream_id} version {previous_version + 1}: missing"
                    f" (versions jump from {previous_version} to {version})"
                )
            else:
                content = content_hash(
                    stream_id=row[_S_STREAM],
                    event_id=row[_S_EVENT_ID],
                    event_type=row[_S_TYPE],
                    schema_version=row[_S_SCHEMA_VERSION],
                    subject_id=row[_S_SUBJECT],
                    personal_fields=row[_S_PERSONAL],
                    payload_json=row[_S_PAYLOAD],
                    metadata_json=row[_S_METADATA],
                )
                expected = link_hash_micros(
                    previous_hash,
                    version=version,
                    position=row[_S_POSITION],
                    recorded_micros=row[_S_RECORDED_MICROS],
                    content=content,
                )
                if expected != stored:
                    findings.add(f"stream {stream_id} version {version}: hash mismatch")
            # Continue from the stored hash so one altered event is reported once, not once
            # per event after it.
            previous_hash, previous_version, previous_row = stored, version, row
    if stream_id is not None and previous_row is not None:
        _check_head(findings, stream_id, previous_version, previous_hash, previous_row)
    return result


async def _seal_rows(connection: Connection, prefetch: int) -> AsyncIterator[asyncpg.Record]:
    async for row in connection.cursor(_SEALS_SQL, prefetch=prefetch):
        yield row


def _describe(seal: asyncpg.Record) -> str:
    return f"seal {seal['seal_number']} (global log up to position {seal['last_position']})"


async def _check_seals(
    connection: Connection, findings: _Findings, prefetch: int
) -> _SealPassResult:
    result = _SealPassResult()
    seals = _seal_rows(connection, prefetch).__aiter__()
    previous_digest = GENESIS_HASH
    current = await anext(seals, None)
    digest = None if current is None else SealDigest(previous_digest, 1)

    def close_seal(seal: asyncpg.Record, running: SealDigest) -> bytes:
        result.seals += 1
        expected_number = result.seals
        count = running.count
        recomputed = running.finish(
            last_transaction_id=int(seal["last_transaction_id"]),
            last_position=seal["last_position"],
        )
        stored = bytes(seal["digest"])
        if seal["seal_number"] != expected_number:
            findings.add(f"{_describe(seal)}: out of sequence (expected seal {expected_number})")
        elif bytes(seal["previous_digest"]) != previous_digest:
            findings.add(f"{_describe(seal)}: does not chain to the seal before it")
        elif count != seal["event_count"]:
            findings.add(
                f"{_describe(seal)}: digest mismatch ({count} events found in its range,"
                f" {seal['event_count']} sealed)"
            )
        elif recomputed != stored:
            findings.add(f"{_describe(seal)}: digest mismatch (events altered or reordered)")
        result.sealed += seal["event_count"]
        return stored

    async for rows in _batches(connection, _COMMIT_ORDER_SQL, prefetch):
        for row in rows:
            cursor = (int(row[0]), row[1])
            while current is not None and cursor > (
                int(current["last_transaction_id"]),
                current["last_position"],
            ):
                assert digest is not None
                previous_digest = close_seal(current, digest)
                current = await anext(seals, None)
                # Start the next range from the stored digest: one broken seal, one report.
                digest = None if current is None else SealDigest(previous_digest, result.seals + 1)
            if current is None or digest is None:
                result.unsealed += 1
            else:
                digest.add(row[1], bytes(row[2]))
    while current is not None and digest is not None:
        previous_digest = close_seal(current, digest)
        current = await anext(seals, None)
        digest = None if current is None else SealDigest(previous_digest, result.seals + 1)
    result.last_digest = None if result.seals == 0 else previous_digest
    return result
