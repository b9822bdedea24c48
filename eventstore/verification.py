"""Verifying the log: every stream's hash chain and every seal, streamed in bounded memory.

Two passes over one snapshot (a repeatable-read, read-only transaction):

1. Streams, by (stream, version): versions run 1, 2, 3... without gaps; each event's hash is
   recomputed from its stored columns and its predecessor's hash; the stream head agrees with
   the last event. This names the first altered, removed or forged event.
2. The global log, in commit order, against the seals: each seal's digest is recomputed over the
   events of its range. This catches whole events removed or inserted where a stream's chain
   cannot (its last event, or a chain recomputed by the forger), and reordering.

Memory holds one stream's state and one seal's running digest, whatever the size of the store.

With the chain key, every event must be in the keyed format (``hashing.keyed_content_hash``): an
event that matches only the unkeyed v1 formula is reported as such, never accepted, so nobody can
downgrade a stream to a format the database's holder can recompute. With a verify key, every
seal must carry a valid signature under it; with anchors, every anchored seal must be in the
store with the anchored digest (``eventstore.anchors``).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from hashlib import sha256

import asyncpg
from pydantic import BaseModel

from eventstore.anchors import Anchor, check_anchors
from eventstore.connections import Connection
from eventstore.hashing import (
    GENESIS_HASH,
    KEYED_CONTENT_TAG,
    UNKEYED_CONTENT_TAG,
    SealDigest,
    content_mac,
)
from eventstore.signing import SealedLog, SealVerifier

# Why the encodings are laid out in SQL: the stored columns then reach Python as the exact bytes
# that hashing.keyed_content_hash and link_hash hash (no text decoded to str and encoded back,
# no per-field packing in Python), and verify costs one HMAC and one sha256 call per event.
# Python still computes every hash. The layout is the one of hashing.keyed_content_hash, field
# by field: tag (v2), stream id, event id, type, schema version, subject (0x00, or 0x01 and the
# id), personal field names (canonical JSON), payload text, metadata text, stream version; each
# variable-length field prefixed by its byte length as int8. The v1 layout (content_hash) is the
# same bytes with the v1 tag and without the trailing version. Personal field names are hashed
# in their stored order: both append paths store them sorted, as the hashes do, so a reordered
# array is reported. test_fast_paths checks that the two layouts give the same hashes for
# awkward values (non-ASCII, quotes, backslashes, no subject).
_STREAMS_SQL = """
    SELECT e.stream_id, e.version,
           '\\x70617468776179732d6576656e742d7632'::bytea
           || int8send(octet_length(b.stream)::bigint) || b.stream
           || uuid_send(e.event_id)
           || int8send(octet_length(b.type)::bigint) || b.type
           || int8send(e.schema_version::bigint)
           || CASE WHEN e.subject_id IS NULL THEN '\\x00'::bytea
                   ELSE '\\x01'::bytea || int8send(octet_length(b.subject)::bigint) || b.subject
              END
           || int8send(octet_length(b.personal)::bigint) || b.personal
           || int8send(octet_length(b.payload)::bigint) || b.payload
           || int8send(octet_length(b.metadata)::bigint) || b.metadata
           || int8send(e.version::bigint) AS content,
           int8send(e.version::bigint) || int8send(e.position)
           || int8send((extract(epoch FROM e.recorded_at) * 1000000)::bigint) AS link,
           e.hash,
           s.version AS head_version, s.last_hash AS head_hash
    FROM eventstore.events e
    CROSS JOIN LATERAL (
        SELECT convert_to(e.stream_id, 'UTF8') AS stream,
               convert_to(e.type, 'UTF8') AS type,
               convert_to(e.subject_id, 'UTF8') AS subject,
               convert_to(array_to_json(e.personal_fields)::text, 'UTF8') AS personal,
               convert_to(e.payload::text, 'UTF8') AS payload,
               convert_to(e.metadata::text, 'UTF8') AS metadata
        OFFSET 0  -- evaluate each conversion once per row, not once per use
    ) b
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

# The seal digest folds in int8(position) || hash per event (hashing.SealDigest.add): laid out
# here so that Python feeds the bytes to sha256 as they come.
_COMMIT_ORDER_SQL = """
    SELECT transaction_id, position, int8send(position) || hash AS sealed
    FROM eventstore.events
    ORDER BY transaction_id, position
"""

_SNAPSHOT_ID = re.compile(r"[0-9A-F]+-[0-9A-F]+-[0-9]+")

_SEALS_SQL = """
    SELECT seal_number, last_transaction_id, last_position, event_count, previous_digest, digest,
           signature, signing_key_id
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
    last_seal_number: int | None = None
    chain_keyed: bool = False
    """True when the chains were checked as MACs under the chain key."""
    signatures_checked: bool = False
    """True when every seal's signature was checked with a verify key."""
    anchors_checked: int = 0


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
    anchored: dict[int, tuple[bytes, int]] = field(default_factory=dict)
    """Stored digest and covered count of each seal an anchor names."""


# Column indexes of _STREAMS_SQL rows (read by index: a verify reads every row of the store, and
# index access is the cheaper one).
_S_STREAM, _S_VERSION, _S_CONTENT, _S_LINK, _S_HASH = range(5)


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
    pool: asyncpg.Pool,
    *,
    chain_key: bytes | None = None,
    verifier: SealVerifier | None = None,
    anchors: Sequence[Anchor] = (),
    max_failures: int = 100,
    prefetch: int = 10_000,
) -> VerificationReport:
    """Check the whole store's integrity.

    Args:
        pool: a pool on the store's database (read access is enough).
        chain_key: the chain key; every event must then be in the keyed format. Without it
            the chains are checked in the legacy unkeyed format only.
        verifier: the seal verify key; every seal must then be signed under it.
        anchors: recorded anchor lines of the event store (other logs' anchors are ignored);
            each named seal must exist with that digest.
        max_failures: stop collecting after this many failures (checking goes on).
        prefetch: rows fetched per round trip while streaming.

    Returns:
        The report; ``first_failure`` reads like "stream pathway-x version 3: hash mismatch"
        or "seal 2 (global log up to position 81): digest mismatch (...)".
    """
    stream_findings = _Findings(limit=max_failures, failures=[])
    seal_findings = _Findings(limit=max_failures, failures=[])
    mine = [a for a in anchors if a.log is SealedLog.EVENTSTORE]
    wanted = {a.seal_number for a in mine}
    async with (
        pool.acquire() as connection,
        connection.transaction(isolation="repeatable_read", readonly=True),
    ):
        if pool.get_max_size() < 2:
            streams = await _check_streams_and_heads(
                connection, stream_findings, prefetch, chain_key
            )
            seals = await _check_seals(connection, seal_findings, prefetch, verifier, wanted)
        else:
            # Why two connections: each pass waits for its server-side cursor as long as it
            # then works on the rows; run side by side, one pass's Python work overlaps the
            # other's query. Both read the same snapshot, so they check one state of the log.
            snapshot = str(await connection.fetchval("SELECT pg_export_snapshot()"))
            if not _SNAPSHOT_ID.fullmatch(snapshot):
                raise RuntimeError(f"unexpected snapshot id {snapshot!r}")
            async with (
                pool.acquire() as second,
                second.transaction(isolation="repeatable_read", readonly=True),
            ):
                await second.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
                streams, seals = await asyncio.gather(
                    _check_streams_and_heads(connection, stream_findings, prefetch, chain_key),
                    _check_seals(second, seal_findings, prefetch, verifier, wanted),
                )
    findings = _Findings(limit=max_failures, failures=[])
    anchor_failures = check_anchors(
        mine, seals.anchored, newest_seal=seals.seals, verifier=verifier
    )
    # Anchor failures first: they say what an attacker who removed whole history did, which
    # the other findings (if any) only show in part.
    for failure in (*anchor_failures, *stream_findings.failures, *seal_findings.failures):
        findings.add(failure)
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
        last_seal_number=seals.seals or None,
        chain_keyed=chain_key is not None,
        signatures_checked=verifier is not None,
        anchors_checked=len(mine),
    )


async def _check_streams_and_heads(
    connection: Connection, findings: _Findings, prefetch: int, chain_key: bytes | None
) -> _StreamPassResult:
    streams = await _check_streams(connection, findings, prefetch, chain_key)
    for head in await connection.fetch(_EMPTY_HEADS_SQL, findings.limit):
        findings.add(
            f"stream {head['stream_id']} version 1: missing"
            f" (stream head records version {head['version']}, no events stored)"
        )
    return streams


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


def _content_v1(content_v2: bytes) -> bytes:
    """The unkeyed v1 hash of an event, from the v2 layout _STREAMS_SQL sends."""
    return sha256(UNKEYED_CONTENT_TAG + content_v2[len(KEYED_CONTENT_TAG) : -8]).digest()


def _mismatch(
    previous_hash: bytes, link: bytes, content_v2: bytes, stored: bytes, chain_key: bytes | None
) -> str:
    """What a hash mismatch means, for the report (only computed when one is found)."""
    if (
        chain_key is not None
        and sha256(previous_hash + link + _content_v1(content_v2)).digest() == stored
    ):
        return (
            "not keyed: chained in the unkeyed v1 format, which anybody holding the database"
            " can recompute (forged or rewritten, or written before the chain key existed)"
        )
    return "hash mismatch"


async def _check_streams(
    connection: Connection, findings: _Findings, prefetch: int, chain_key: bytes | None
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
            stored: bytes = row[_S_HASH]
            if version != previous_version + 1:
                findings.add(
                    f"stream {stream_id} version {previous_version + 1}: missing"
                    f" (versions jump from {previous_version} to {version})"
                )
            else:
                # hashing.link_hash over hashing.keyed_content_hash (or content_hash), from the
                # encodings laid out above.
                content = (
                    _content_v1(row[_S_CONTENT])
                    if chain_key is None
                    else content_mac(chain_key, row[_S_CONTENT])
                )
                expected = sha256(previous_hash + row[_S_LINK] + content).digest()
                if expected != stored:
                    reason = _mismatch(
                        previous_hash, row[_S_LINK], row[_S_CONTENT], stored, chain_key
                    )
                    findings.add(f"stream {stream_id} version {version}: {reason}")
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
    connection: Connection,
    findings: _Findings,
    prefetch: int,
    verifier: SealVerifier | None,
    anchored: set[int],
) -> _SealPassResult:
    result = _SealPassResult()
    covered = 0
    seals = _seal_rows(connection, prefetch).__aiter__()
    previous_digest = GENESIS_HASH
    current = await anext(seals, None)
    digest = None if current is None else SealDigest(previous_digest, 1)

    def close_seal(seal: asyncpg.Record, running: SealDigest) -> bytes:
        nonlocal covered
        result.seals += 1
        covered += seal["event_count"]
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
        elif verifier is not None:
            _check_signature(findings, seal, verifier, covered)
        if seal["seal_number"] in anchored:
            result.anchored[seal["seal_number"]] = (stored, covered)
        result.sealed += seal["event_count"]
        return stored

    def end_of(seal: asyncpg.Record | None) -> tuple[int, int] | None:
        if seal is None:
            return None
        return int(seal["last_transaction_id"]), seal["last_position"]

    end = end_of(current)
    async for rows in _batches(connection, _COMMIT_ORDER_SQL, prefetch):
        last = rows[-1]
        if digest is not None and end is not None and (int(last[0]), last[1]) <= end:
            # The whole batch lies inside the current seal's range (the usual case).
            digest.add_encoded(b"".join([row[2] for row in rows]), len(rows))
            continue
        for transaction_id, position, sealed in rows:
            while end is not None and (int(transaction_id), position) > end:
                assert current is not None
                assert digest is not None
                previous_digest = close_seal(current, digest)
                current = await anext(seals, None)
                end = end_of(current)
                # Start the next range from the stored digest: one broken seal, one report.
                digest = None if current is None else SealDigest(previous_digest, result.seals + 1)
            if digest is None:
                result.unsealed += 1
            else:
                digest.add_encoded(sealed, 1)
    while current is not None and digest is not None:
        previous_digest = close_seal(current, digest)
        current = await anext(seals, None)
        digest = None if current is None else SealDigest(previous_digest, result.seals + 1)
    result.last_digest = None if result.seals == 0 else previous_digest
    return result


def _check_signature(
    findings: _Findings, seal: asyncpg.Record, verifier: SealVerifier, covered: int
) -> None:
    signature = seal["signature"]
    if signature is None:
        findings.add(f"{_describe(seal)}: not signed")
    elif seal["signing_key_id"] != verifier.key_id:
        findings.add(
            f"{_describe(seal)}: signed with another key ({seal['signing_key_id']},"
            f" expected {verifier.key_id})"
        )
    elif not verifier.check(
        SealedLog.EVENTSTORE,
        seal_number=seal["seal_number"],
        covered=covered,
        digest=bytes(seal["digest"]),
        signature=bytes(signature),
    ):
        findings.add(f"{_describe(seal)}: signature does not hold (seal forged or recomputed)")
