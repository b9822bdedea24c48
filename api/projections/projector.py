"""The projector: folds recorded events into the projection tables, idempotently.

How it stays correct under at-least-once delivery: each pathway has a row in
``projections.pathway_state`` holding its folded domain state, its outcome facts and the stream
version they reflect. An event whose version is not above that version was applied already and is
skipped; an event further ahead than the next version first pulls the missing ones from the
stream. Every write goes through the connection of the subscription's batch, so the rows and the
checkpoint commit together or not at all.

Why a stored state rather than re-folding the stream per event: at 100,000 pathways and tens of
events each, re-reading a stream for every event costs O(events^2) per pathway and a decryption
round trip; the stored state costs one keyed read and one write. A bounded in-process cache
skips even the read of the state's JSON when the row's version still matches the cached one (a
mismatch - another instance moved on, or a rolled-back batch - reloads the row). Why write only
the tables whose rows changed: most events touch one or two tables, so a delivery writes little.

The projector never decrypts: its store reads with no data keys, so personal fields arrive as
``[erased]`` and no personal data enters this process or its tables.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import structlog

from api.projections import quarantine
from api.projections.facts import OutcomeFacts, evolve_facts
from api.projections.rows import PathwayRows, derive_rows, template_of
from api.projections.tables import CASELOAD, DERIVED_TABLES, OUTCOMES, Table
from domain.catalogue import EVENT_TYPES, from_payload
from domain.evolve import evolve
from domain.state import PathwayState
from eventstore import PostgresEventStore, RecordedEvent
from eventstore.connections import Connection
from eventstore.errors import SubjectErased

STREAM_PREFIX = "pathway-"
"""Pathway streams are ``pathway-<pathway id>`` (``workflows.inputs.stream_id``)."""

log = structlog.get_logger()


class _NoKeys:
    """A key store with no keys: personal fields read back as ``[erased]``."""

    async def key_for_writing(self, subject_id: str) -> bytes:
        raise SubjectErased(subject_id)

    async def keys_for_reading(self, subject_ids: Collection[str]) -> dict[str, bytes]:
        return {}

    async def destroy(self, subject_id: str) -> None:
        raise SubjectErased(subject_id)


def projection_store(pool: asyncpg.Pool) -> PostgresEventStore:
    """A store that reads the log without decrypting anything (see module docstring)."""
    return PostgresEventStore(pool, _NoKeys(), notify=False)


@dataclass(frozen=True, slots=True)
class Folded:
    """One pathway as the projector knows it."""

    stream_version: int
    state: PathwayState
    facts: OutcomeFacts
    rows: PathwayRows | None = None
    """The derived rows, once computed (so the next event need not derive them again)."""


def pathway_id_of(stream_id: str) -> str | None:
    """The pathway id of a pathway stream, ``None`` for any other stream."""
    if not stream_id.startswith(STREAM_PREFIX) or stream_id == STREAM_PREFIX:
        return None
    return stream_id[len(STREAM_PREFIX) :]


def fold_recorded(
    folded: Folded | None, pathway_id: str, events: Sequence[RecordedEvent]
) -> Folded:
    """Apply recorded events (consecutive versions, in order) to a pathway.

    Events that are not domain events (``PersonalDataErased``) only move the version.
    """
    state = folded.state if folded else PathwayState.new(pathway_id)
    facts = folded.facts if folded else OutcomeFacts()
    version = folded.stream_version if folded else 0
    for recorded in events:
        version = recorded.version
        if recorded.type not in EVENT_TYPES:
            continue
        event = from_payload(recorded.type, recorded.schema_version, recorded.payload)
        state = evolve(state, event)
        facts = evolve_facts(facts, event)
    return Folded(version, state, facts)


def rows_of(folded: Folded) -> PathwayRows:
    """Every projection row of a folded pathway."""
    if folded.rows is not None:
        return folded.rows
    return derive_rows(
        folded.state,
        folded.facts,
        stream_version=folded.stream_version,
        template=template_of(folded.state),
    )


_LOAD_SQL = """
    SELECT stream_version,
           CASE WHEN stream_version = $2 THEN NULL ELSE state::text END AS state,
           CASE WHEN stream_version = $2 THEN NULL ELSE facts::text END AS facts
    FROM projections.pathway_state WHERE pathway_id = $1
"""

_SAVE_SQL = """
    INSERT INTO projections.pathway_state AS s
        (pathway_id, stream_id, stream_version, template_id, template_version, state, facts)
    VALUES ($1, $2, $3, $4, $5, $6::text::jsonb, $7::text::jsonb)
    ON CONFLICT (pathway_id) DO UPDATE
    SET stream_version = excluded.stream_version, template_id = excluded.template_id,
        template_version = excluded.template_version, state = excluded.state,
        facts = excluded.facts
"""


_ONE_ROW_PER_PATHWAY = frozenset({CASELOAD.name, OUTCOMES.name})
"""Tables keyed by pathway id alone: written with one upsert instead of delete and insert."""


def _insert_sql(table: Table) -> str:
    columns = ", ".join(table.columns)
    values = ", ".join(f"${i}" for i in range(1, len(table.columns) + 1))
    sql = f"INSERT INTO {table.qualified} ({columns}) VALUES ({values})"  # noqa: S608
    if table.name in _ONE_ROW_PER_PATHWAY:
        updates = ", ".join(f"{c} = excluded.{c}" for c in table.columns[1:])
        sql += f" ON CONFLICT (pathway_id) DO UPDATE SET {updates}"
    return sql


class Projector:
    """Folds events into the projection tables through the connection it is handed.

    Args:
        store: reads missing stream versions (use ``projection_store``: it decrypts nothing).
        cache_size: pathways whose folded state is kept in memory between events.
    """

    def __init__(self, store: PostgresEventStore, *, cache_size: int = 10_000) -> None:
        self._store = store
        self._cache: OrderedDict[str, Folded] = OrderedDict()
        self._cache_size = cache_size

    async def handle(self, connection: Connection, event: RecordedEvent) -> None:
        """The subscription handler: project one event (a no-op when already applied)."""
        await self.apply(connection, [event])

    async def apply(self, connection: Connection, events: Sequence[RecordedEvent]) -> int:
        """Project a batch of events; return how many were applied (not skipped).

        Events are grouped per pathway, so a batch writes each pathway's rows once. A pathway
        whose events cannot be held (``quarantine.POISON``) is set aside and the rest of the
        batch still applies (see ``api.projections.quarantine``); events of a pathway already
        set aside are held back.
        """
        grouped: dict[str, list[RecordedEvent]] = {}
        for event in events:
            pathway_id = pathway_id_of(event.stream_id)
            if pathway_id is not None:
                grouped.setdefault(pathway_id, []).append(event)
        for pathway_id in await quarantine.held(connection, grouped):
            del grouped[pathway_id]
        try:
            # One savepoint for the whole batch: the common case costs one round trip more.
            async with connection.transaction():
                return await self._apply_all(connection, grouped)
        except quarantine.POISON:
            self.forget()  # the cache may hold states the savepoint just rolled back
        applied = 0
        for pathway_id, found in grouped.items():
            try:
                async with connection.transaction():
                    applied += await self._apply_pathway(connection, pathway_id, found)
            except quarantine.POISON:
                self._cache.pop(pathway_id, None)
                applied += await self._apply_until_poison(connection, pathway_id, found)
        return applied

    async def _apply_until_poison(
        self, connection: Connection, pathway_id: str, events: list[RecordedEvent]
    ) -> int:
        """Apply one event at a time, and set the pathway aside at the first that fails.

        So the pathway's rows show it as it was just before the event that cannot be held.
        """
        applied = 0
        for event in sorted(events, key=lambda e: e.version):
            try:
                async with connection.transaction():
                    applied += await self._apply_pathway(connection, pathway_id, [event])
            except quarantine.POISON as exc:
                self._cache.pop(pathway_id, None)
                await quarantine.record(connection, pathway_id, event, exc)
                log.warning(
                    "projection_quarantined",
                    pathway_id=pathway_id,
                    event_type=event.type,
                    version=event.version,
                    reason=quarantine.reason_of(exc),
                )
                break
        return applied

    async def reproject(self, connection: Connection, pathway_id: str, stream_id: str) -> int:
        """Project a pathway's whole stream again from nothing (a quarantine's retry).

        Raises:
            one of ``quarantine.POISON`` when its events still cannot be held.
        """
        self._cache.pop(pathway_id, None)
        await connection.execute(
            "DELETE FROM projections.pathway_state WHERE pathway_id = $1", pathway_id
        )
        for table in DERIVED_TABLES:
            await connection.execute(
                f"DELETE FROM {table.qualified} WHERE pathway_id = $1",  # noqa: S608
                pathway_id,
            )
        events = await self._store.read_stream(stream_id)
        return await self._apply_pathway(connection, pathway_id, list(events))

    async def _apply_all(
        self, connection: Connection, grouped: dict[str, list[RecordedEvent]]
    ) -> int:
        applied = 0
        for pathway_id, found in grouped.items():
            applied += await self._apply_pathway(connection, pathway_id, found)
        return applied

    async def _apply_pathway(
        self, connection: Connection, pathway_id: str, events: list[RecordedEvent]
    ) -> int:
        before = await self._load(connection, pathway_id)
        known = before.stream_version if before else 0
        fresh = sorted((e for e in events if e.version > known), key=lambda e: e.version)
        if not fresh:
            return 0
        # Drop repeats inside the batch, then fill a hole from the stream (only possible when
        # the log was read with a type filter or from a cursor past this stream's start).
        unique = list({e.version: e for e in fresh}.values())
        if unique[0].version != known + 1:
            missing = await self._store.read_stream(unique[0].stream_id, from_version=known + 1)
            unique = [e for e in missing if e.version < unique[0].version] + unique
        folded = fold_recorded(before, pathway_id, unique)
        after = Folded(folded.stream_version, folded.state, folded.facts, rows_of(folded))
        await self._save(connection, pathway_id, unique[0].stream_id, before, after)
        self._remember(pathway_id, after)
        return len(unique)

    async def _load(self, connection: Connection, pathway_id: str) -> Folded | None:
        cached = self._cache.get(pathway_id)
        row = await connection.fetchrow(
            _LOAD_SQL, pathway_id, cached.stream_version if cached else None
        )
        if row is None:
            return None
        if cached is not None and row["state"] is None:
            self._cache.move_to_end(pathway_id)
            return cached
        return Folded(
            stream_version=row["stream_version"],
            state=PathwayState.model_validate_json(row["state"]),
            facts=OutcomeFacts.model_validate_json(row["facts"]),
        )

    async def _save(
        self,
        connection: Connection,
        pathway_id: str,
        stream_id: str,
        before: Folded | None,
        after: Folded,
    ) -> None:
        await connection.execute(
            _SAVE_SQL,
            pathway_id,
            stream_id,
            after.stream_version,
            after.state.template_id,
            after.state.template_version,
            after.state.model_dump_json(),
            after.facts.model_dump_json(),
        )
        old = rows_of(before) if before else PathwayRows()
        new = rows_of(after)
        for table in DERIVED_TABLES:
            if old.rows(table) == new.rows(table):
                continue
            if before is not None and table.name not in _ONE_ROW_PER_PATHWAY:
                await connection.execute(
                    f"DELETE FROM {table.qualified} WHERE pathway_id = $1",  # noqa: S608
                    pathway_id,
                )
            rows: list[tuple[Any, ...]] = new.rows(table)
            if rows:
                await connection.executemany(_insert_sql(table), rows)

    def _remember(self, pathway_id: str, folded: Folded) -> None:
        self._cache[pathway_id] = folded
        self._cache.move_to_end(pathway_id)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    @property
    def store(self) -> PostgresEventStore:
        """The store the projector reads missing versions from (decrypts nothing)."""
        return self._store

    def forget(self) -> None:
        """Drop the in-memory cache (after the tables were reset underneath it)."""
        self._cache.clear()
