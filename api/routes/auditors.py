"""Auditors: replay a pathway, its state at a past moment, verification, FHIR export, access log.

Auditors read everything and write nothing (there is no POST here, and every other POST refuses
their role). Every read they make is itself in the access log.
"""

from __future__ import annotations

from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Path, Query
from pydantic import AwareDatetime, BaseModel

from api.access_log import AccessLogReport, AccessRecord, read_access_log, verify_access_log
from api.deps import Access, AuditorPrincipal, Runtime, utcnow
from api.errors import ERROR_RESPONSES, UnavailableError, UnprocessableError
from api.fhir.export import pathway_bundle, validate_bundle
from api.pathways import visible_pathway
from domain import PathwayState, personal_fields_of
from eventstore import VerificationReport, verify
from workflows.inputs import PATHWAY_ID_PATTERN, stream_id

router = APIRouter(prefix="/audit", tags=["auditors"], responses=ERROR_RESPONSES)

PathwayIdPath = Annotated[str, Path(pattern=PATHWAY_ID_PATTERN, description="pseudonymous id")]
AtQuery = Annotated[
    AwareDatetime | None,
    Query(description="state as recorded at this moment (ISO 8601 with offset)"),
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


def _check_one_point(at: Any, position: int | None) -> None:
    if at is not None and position is not None:
        raise UnprocessableError("position: give either at or position, not both", field="position")


@router.get("/pathways/{pathway_id}/history", response_model=Replay)
async def replay(
    *,
    pathway_id: PathwayIdPath,
    runtime: Runtime,
    principal: AuditorPrincipal,
    access: Access,
    at: AtQuery = None,
    position: PositionQuery = None,
) -> Replay:
    """The stored events, oldest first, and the state they fold to (up to ``at``/``position``)."""
    _check_one_point(at, position)
    loaded = await visible_pathway(
        runtime.store,
        principal,
        access,
        pathway_id,
        now=utcnow(),
        as_of_time=at,
        as_of_position=position,
    )
    events = []
    for r in loaded.events:
        personal = sorted(personal_fields_of(r.type))
        events.append(
            ReplayedEvent(
                version=r.version,
                position=r.position,
                type=r.type,
                schema_version=r.schema_version,
                recorded_at=r.recorded_at,
                actor=r.metadata.actor,
                data={k: v for k, v in r.payload.items() if k not in personal},
                personal_fields=personal,
            )
        )
    return Replay(
        pathway_id=pathway_id,
        as_of_time=at,
        as_of_position=position,
        events=events,
        state=loaded.state,
    )


@router.get("/pathways/{pathway_id}/state", response_model=StateAsOf)
async def state_as_of(
    *,
    pathway_id: PathwayIdPath,
    runtime: Runtime,
    principal: AuditorPrincipal,
    access: Access,
    at: AtQuery = None,
    position: PositionQuery = None,
) -> StateAsOf:
    """The pathway's state as of a moment or position (now when neither is given)."""
    _check_one_point(at, position)
    loaded = await visible_pathway(
        runtime.store,
        principal,
        access,
        pathway_id,
        now=utcnow(),
        as_of_time=at,
        as_of_position=position,
    )
    return StateAsOf(
        pathway_id=pathway_id,
        as_of_time=at,
        as_of_position=position,
        stream_version=loaded.events[-1].version if loaded.events else 0,
        state=loaded.state,
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
    try:
        async with runtime.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT version, hash FROM eventstore.events WHERE stream_id = $1",
                stream_id(pathway_id),
            )
            accesses = await read_access_log(conn, pathway_id=pathway_id, limit=100_000)
    except _DB_DOWN as exc:
        raise UnavailableError("PostgreSQL is unavailable") from exc
    hashes = {int(r["version"]): bytes(r["hash"]) for r in rows}
    bundle = pathway_bundle(pathway_id, loaded.state, loaded.events, hashes, accesses, now=now)
    validate_bundle(bundle)
    return bundle


@router.get("/verify", response_model=VerifyReport)
async def verify_stores(runtime: Runtime, principal: AuditorPrincipal) -> VerifyReport:
    """Check the event store's chains and seals and the access log's chain."""
    try:
        store_report = await verify(runtime.pool)
        async with runtime.pool.acquire() as conn:
            log_report = await verify_access_log(conn)
    except _DB_DOWN as exc:
        raise UnavailableError("PostgreSQL is unavailable") from exc
    return VerifyReport(
        ok=store_report.ok and log_report.ok, event_store=store_report, access_log=log_report
    )


@router.get("/access-log", response_model=AccessLogPage)
async def access_log(
    *,
    runtime: Runtime,
    principal: AuditorPrincipal,
    access: Access,
    pathway_id: Annotated[str | None, Query(pattern=PATHWAY_ID_PATTERN)] = None,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AccessLogPage:
    """Who read what: all entries, or those about one pathway (``pathway_id``)."""
    try:
        async with runtime.pool.acquire() as conn:
            items = await read_access_log(conn, pathway_id=pathway_id, after_seq=after, limit=limit)
    except _DB_DOWN as exc:
        raise UnavailableError("PostgreSQL is unavailable") from exc
    # The page names pathways in two places: the one an entry read, and those a list returned.
    mentioned = {p for i in items for p in (i.pathway_id, *i.pathway_ids) if p}
    await access.record(
        "query", pathway_id=pathway_id, pathway_ids=sorted(mentioned - {pathway_id})
    )
    return AccessLogPage(items=items)
