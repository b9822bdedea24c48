"""Auditors: replay a pathway, its state at a past moment, verification, FHIR export, access log.

Auditors read everything and write nothing (there is no POST here, and every other POST refuses
their role). Every read they make is itself in the access log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends, Path, Query
from pydantic import AwareDatetime, BaseModel

from api.access_log import AccessLogReport, AccessRecord, read_access_log, verify_access_log
from api.deps import Access, AuditorPrincipal, Db, Runtime, utcnow
from api.errors import ERROR_RESPONSES, UnavailableError, UnprocessableError
from api.fhir.export import pathway_bundle, validate_bundle
from api.pathways import LoadedPathway, visible_pathway
from domain import PathwayState, personal_fields_of
from domain.moments import Moment
from eventstore import RecordedEvent, VerificationReport
from workflows.inputs import PATHWAY_ID_PATTERN, stream_id

router = APIRouter(prefix="/audit", tags=["auditors"], responses=ERROR_RESPONSES)

PathwayIdPath = Annotated[str, Path(pattern=PATHWAY_ID_PATTERN, description="pseudonymous id")]
AtQuery = Annotated[
    Moment | None,
    Query(description="state as recorded at this moment (ISO 8601 with offset, 1900 to 2200)"),
]
PositionQuery = Annotated[
    int | None, Query(ge=1, le=2**62, description="state as of this global log position")
]
_DB_DOWN = (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError)


class ReplayedEvent(BaseModel):
    """One stored event; personal fields are left out (``personal_fields`` names them)."""

    version: int
    position: int
    type: str
    schema_version: int
    recorded_at: AwareDatetime
    actor: str
    data: dict[str, Any]
    personal_fields: list[str]


class Replay(BaseModel):
    """A pathway's history folded up to a time or position (or to now)."""

    pathway_id: str
    as_of_time: AwareDatetime | None
    as_of_position: int | None
    events: list[ReplayedEvent]
    state: PathwayState


class StateAsOf(BaseModel):
    """Who was responsible, and what was known, at a moment."""

    pathway_id: str
    as_of_time: AwareDatetime | None
    as_of_position: int | None
    stream_version: int
    state: PathwayState


class VerifyReport(BaseModel):
    """Both tamper-evident logs checked."""

    ok: bool
    event_store: VerificationReport
    access_log: AccessLogReport


class AccessLogPage(BaseModel):
    """Access-log entries in chain order."""

    items: list[AccessRecord]


@dataclass(frozen=True)
class PastPathway:
    """A pathway as recorded at a moment or a global log position (now when neither is given)."""

    pathway_id: str
    at: datetime | None
    position: int | None
    loaded: LoadedPathway

    @property
    def stream_version(self) -> int:
        """The version of the last event folded."""
        return self.loaded.events[-1].version if self.loaded.events else 0


async def past_pathway(
    *,
    pathway_id: PathwayIdPath,
    runtime: Runtime,
    principal: AuditorPrincipal,
    access: Access,
    at: AtQuery = None,
    position: PositionQuery = None,
) -> PastPathway:
    """The pathway up to ``at`` or ``position``, its read logged; 422 when both are given."""
    if at is not None and position is not None:
        raise UnprocessableError("position: give either at or position, not both", field="position")
    loaded = await visible_pathway(
        runtime.store,
        principal,
        access,
        pathway_id,
        now=utcnow(),
        as_of_time=at,
        as_of_position=position,
    )
    return PastPathway(pathway_id=pathway_id, at=at, position=position, loaded=loaded)


Past = Annotated[PastPathway, Depends(past_pathway)]


def _replayed(event: RecordedEvent) -> ReplayedEvent:
    personal = sorted(personal_fields_of(event.type))
    return ReplayedEvent(
        version=event.version,
        position=event.position,
        type=event.type,
        schema_version=event.schema_version,
        recorded_at=event.recorded_at,
        actor=event.metadata.actor,
        data={k: v for k, v in event.payload.items() if k not in personal},
        personal_fields=personal,
    )


@router.get("/pathways/{pathway_id}/history", response_model=Replay)
async def replay(past: Past) -> Replay:
    """The stored events, oldest first, and the state they fold to (up to ``at``/``position``)."""
    return Replay(
        pathway_id=past.pathway_id,
        as_of_time=past.at,
        as_of_position=past.position,
        events=[_replayed(r) for r in past.loaded.events],
        state=past.loaded.state,
    )


@router.get("/pathways/{pathway_id}/state", response_model=StateAsOf)
async def state_as_of(past: Past) -> StateAsOf:
    """The pathway's state as of a moment or position (now when neither is given)."""
    return StateAsOf(
        pathway_id=past.pathway_id,
        as_of_time=past.at,
        as_of_position=past.position,
        stream_version=past.stream_version,
        state=past.loaded.state,
    )


@router.get("/pathways/{pathway_id}/export", response_model=dict[str, Any])
async def export(
    *, pathway_id: PathwayIdPath, runtime: Runtime, principal: AuditorPrincipal, access: Access
) -> dict[str, Any]:
    """The pathway as a FHIR R4 Bundle: Task per handover, Provenance per event, AuditEvent per
    access-log entry (this export's own entry included)."""
    now = utcnow()
    loaded = await visible_pathway(
        runtime.store, principal, access, pathway_id, now=now, action="export"
    )
    async with access.db.use() as conn:
        rows = await conn.fetch(
            "SELECT version, hash FROM eventstore.events WHERE stream_id = $1",
            stream_id(pathway_id),
        )
        accesses = await read_access_log(conn, pathway_id=pathway_id, limit=100_000)
    hashes = {int(r["version"]): bytes(r["hash"]) for r in rows}
    bundle = pathway_bundle(pathway_id, loaded.state, loaded.events, hashes, accesses, now=now)
    validate_bundle(bundle)
    return bundle


@router.get("/verify", response_model=VerifyReport)
async def verify_stores(runtime: Runtime, principal: AuditorPrincipal, db: Db) -> VerifyReport:
    """Check the event store's chains and seals and the access log's chain."""
    await db.release()  # verification reads through connections of its own
    try:
        store_report = await runtime.store.verify()
    except _DB_DOWN as exc:
        raise UnavailableError("PostgreSQL is unavailable") from exc
    async with db.use() as conn:
        log_report = await verify_access_log(conn, verifier=runtime.store.keyring.seal_verifier)
    return VerifyReport(
        ok=store_report.ok and log_report.ok, event_store=store_report, access_log=log_report
    )


@router.get("/access-log", response_model=AccessLogPage)
async def access_log(
    *,
    principal: AuditorPrincipal,
    access: Access,
    pathway_id: Annotated[str | None, Query(pattern=PATHWAY_ID_PATTERN)] = None,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AccessLogPage:
    """Who read what: all entries, or those about one pathway (``pathway_id``)."""
    async with access.db.use() as conn:
        items = await read_access_log(conn, pathway_id=pathway_id, after_seq=after, limit=limit)
    # The page names pathways in two places: the one an entry read, and those a list returned.
    mentioned = {p for i in items for p in (i.pathway_id, *i.pathway_ids) if p}
    await access.record(
        "query", pathway_id=pathway_id, pathway_ids=sorted(mentioned - {pathway_id})
    )
    return AccessLogPage(items=items)
