"""Append to, read and verify the access log in PostgreSQL (``api.access_log``)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from api.access_log.chain import GENESIS, entry_hash
from api.access_log.models import AccessEntry, AccessLogReport, AccessRecord
from api.access_log.seals import check_access_seals
from eventstore.anchors import Anchor
from eventstore.connections import Connection
from eventstore.signing import SealVerifier

_COLUMNS = (
    "seq, entry_id, recorded_at, principal_id, role, organisation_id, subject_id, purpose,"
    " action, resource, pathway_id, pathway_ids, outcome, status, reason, previous_hash,"
    " entry_hash"
)


async def append_access(conn: Connection, entries: list[AccessEntry]) -> list[int]:
    """Append entries in one transaction, chained after the current head; returns their seqs."""
    seqs: list[int] = []
    async with conn.transaction():
        head = await conn.fetchrow(
            "SELECT seq, entry_hash FROM api.access_log_head WHERE singleton FOR UPDATE"
        )
        assert head is not None, "api migrations not applied"
        seq, previous = int(head["seq"]), bytes(head["entry_hash"])
        for entry in entries:
            seq += 1
            entry_id = uuid.uuid4()
            # Microseconds: what PostgreSQL stores, so the hash recomputes from the stored row.
            now = datetime.now(UTC)
            digest = entry_hash(previous, seq=seq, entry_id=entry_id, recorded_at=now, entry=entry)
            await conn.execute(
                f"INSERT INTO api.access_log ({_COLUMNS})"  # noqa: S608 - fixed column list
                " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17)",
                seq,
                entry_id,
                now,
                entry.principal_id,
                entry.role,
                entry.organisation_id,
                entry.subject_id,
                entry.purpose,
                entry.action,
                entry.resource,
                entry.pathway_id,
                entry.pathway_ids,
                entry.outcome,
                entry.status,
                entry.reason,
                previous,
                digest,
            )
            seqs.append(seq)
            previous = digest
        await conn.execute(
            "UPDATE api.access_log_head SET seq = $1, entry_hash = $2 WHERE singleton",
            seq,
            previous,
        )
    return seqs


def _record(row: object) -> AccessRecord:
    data = dict(row)  # type: ignore[call-overload]
    data["previous_hash"] = bytes(data["previous_hash"]).hex()
    data["entry_hash"] = bytes(data["entry_hash"]).hex()
    data["pathway_ids"] = list(data["pathway_ids"])
    return AccessRecord(**data)


async def read_access_log(
    conn: Connection,
    *,
    pathway_id: str | None = None,
    after_seq: int = 0,
    limit: int = 100,
) -> list[AccessRecord]:
    """Entries in chain order; with ``pathway_id``, those that read that pathway (alone or in
    a list)."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM api.access_log"  # noqa: S608 - fixed column list
        " WHERE seq > $1 AND ($2::text IS NULL OR pathway_id = $2 OR $2 = ANY(pathway_ids))"
        " ORDER BY seq LIMIT $3",
        after_seq,
        pathway_id,
        limit,
    )
    return [_record(row) for row in rows]


async def verify_access_log(
    conn: Connection,
    *,
    verifier: SealVerifier | None = None,
    anchors: Sequence[Anchor] = (),
    batch_size: int = 5000,
) -> AccessLogReport:
    """Recompute the whole chain and every seal; name what does not match.

    Args:
        conn: a connection to the database.
        verifier: the seal verify key; every seal must then be signed under it.
        anchors: recorded anchor lines (those of the access log are checked).
        batch_size: entries fetched per round trip.
    """
    # One snapshot for both passes, unless the caller's transaction already gives one.
    async with contextlib.AsyncExitStack() as stack:
        if not conn.is_in_transaction():
            await stack.enter_async_context(
                conn.transaction(isolation="repeatable_read", readonly=True)
            )
        chain = await _check_chain(conn, batch_size)
        seals = await check_access_seals(conn, verifier=verifier, anchors=list(anchors))
    # Anchor failures come first in seals.failures: they name removed history outright.
    failures = list(seals.failures)
    if chain.first_failure is not None:
        anchor_count = sum(1 for f in failures if f.startswith("anchor "))
        failures.insert(anchor_count, chain.first_failure)
    return AccessLogReport(
        ok=not failures,
        entries_checked=chain.entries_checked,
        first_failure=failures[0] if failures else None,
        failures=failures,
        seals_checked=seals.seals_checked,
        unsealed_entries=seals.unsealed_entries,
        last_seal_number=seals.last_seal_number,
        last_seal_digest=None if seals.last_seal_digest is None else seals.last_seal_digest.hex(),
        signatures_checked=verifier is not None,
    )


async def _check_chain(conn: Connection, batch_size: int) -> AccessLogReport:
    previous = GENESIS
    expected_seq = 0
    checked = 0
    while True:
        rows = await conn.fetch(
            f"SELECT {_COLUMNS} FROM api.access_log"  # noqa: S608 - fixed column list
            " WHERE seq > $1 ORDER BY seq LIMIT $2",
            expected_seq,
            batch_size,
        )
        for row in rows:
            expected_seq += 1
            record = _record(row)
            if record.seq != expected_seq:
                return AccessLogReport(
                    ok=False, entries_checked=checked, first_failure=f"entry {expected_seq} missing"
                )
            entry = AccessEntry(**record.model_dump(include=set(AccessEntry.model_fields)))
            digest = entry_hash(
                previous,
                seq=record.seq,
                entry_id=record.entry_id,
                recorded_at=record.recorded_at,
                entry=entry,
            )
            if record.previous_hash != previous.hex() or record.entry_hash != digest.hex():
                return AccessLogReport(
                    ok=False,
                    entries_checked=checked,
                    first_failure=f"entry {record.seq} does not match its hash",
                )
            previous = digest
            checked += 1
        if len(rows) < batch_size:
            break
    head = await conn.fetchrow("SELECT seq, entry_hash FROM api.access_log_head WHERE singleton")
    if head is None or int(head["seq"]) != expected_seq or bytes(head["entry_hash"]) != previous:
        return AccessLogReport(
            ok=False, entries_checked=checked, first_failure="the chain head does not match"
        )
    return AccessLogReport(ok=True, entries_checked=checked)
