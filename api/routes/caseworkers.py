"""Coordinating case workers: caseload, at-risk list, one person's pathway, and every command.

A case worker is a worker id within an organisation, and sees only the pathways they coordinate
for that organisation; any other pathway id answers 404, exactly as an unknown one does (the same
worker id in another organisation is another person). The ``actor`` of every command is the
caller's coordinator id.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Response
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api import listings
from api.deps import Access, CaseworkerPrincipal, Runtime, utcnow
from api.errors import ERROR_RESPONSES, ConflictError, UnavailableError, UnprocessableError
from api.idempotency import update_id
from api.pathways import CommandResult, LoadedPathway, visible_pathway
from api.routes.commands import CaseworkerCommands
from api.runtime import ApiRuntime
from domain import AnyCommand, Deadline, DomainError, from_payload, load_template, next_deadlines
from domain.commands.pathway import OpenPathway
from domain.timeline import timeline_line
from workers.pathway_client import open_pathway, opened_by
from workflows.inputs import PATHWAY_ID_PATTERN, stream_id

router = APIRouter(prefix="/caseworker", tags=["case workers"], responses=ERROR_RESPONSES)

PathwayIdPath = Annotated[str, Path(pattern=PATHWAY_ID_PATTERN, description="pseudonymous id")]


class CaseloadPage(BaseModel):
    """Your pathways (rows of the caseload projection)."""

    items: list[dict[str, Any]]


class AtRiskPage(BaseModel):
    """Your pathways at risk: open gaps, overdue steps, deadlines in the next 7 days."""

    items: list[dict[str, Any]]


class TimelineEntry(BaseModel):
    """One event of the route, as text without personal data."""

    version: int
    type: str
    recorded_at: AwareDatetime
    text: str


class PathwayView(BaseModel):
    """One person's pathway for their coordinator."""

    pathway_id: str
    status: str
    template_id: str | None
    template_version: int | None
    coordinator_id: str | None
    supervisor_id: str | None
    responsible: dict[str, str]
    open_handovers: dict[str, str]
    open_gaps: list[str]
    next_deadlines: list[Deadline]
    stream_version: int
    timeline: list[TimelineEntry]


class OpenedPathway(BaseModel):
    """A pathway whose workflow was started."""

    pathway_id: str
    stream_version: int


def _timeline(loaded: LoadedPathway) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            version=r.version,
            type=r.type,
            recorded_at=r.recorded_at,
            text=timeline_line(from_payload(r.type, r.schema_version, r.payload), seconds=True),
        )
        for r in loaded.events
    ]


def _view(loaded: LoadedPathway) -> PathwayView:
    state = loaded.state
    deadlines: list[Deadline] = []
    if state.template_id is not None and state.template_version is not None:
        deadlines = next_deadlines(state, load_template(state.template_id, state.template_version))
    return PathwayView(
        pathway_id=state.pathway_id,
        status=state.status.value,
        template_id=state.template_id,
        template_version=state.template_version,
        coordinator_id=state.coordinator.worker_id if state.coordinator else None,
        supervisor_id=state.supervisor_id,
        responsible={
            t.track.value: t.responsible_org for t in state.active_tracks() if t.responsible_org
        },
        open_handovers={
            h.handover_id: h.status.value for h in state.handovers.values() if h.is_open
        },
        open_gaps=[g for g, gap in state.gaps.items() if gap.is_open],
        next_deadlines=deadlines,
        stream_version=loaded.events[-1].version if loaded.events else 0,
        timeline=_timeline(loaded),
    )


@router.get("/caseload", response_model=CaseloadPage)
async def get_caseload(
    *,
    principal: CaseworkerPrincipal,
    access: Access,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    # The cursor is the last row's pathway id: a pathway id's pattern keeps what PostgreSQL
    # cannot hold (a NUL) out of the query.
    after: Annotated[str | None, Query(max_length=200, pattern=PATHWAY_ID_PATTERN)] = None,
) -> Response:
    """The pathways you coordinate."""
    return await listings.caseload(
        access,
        coordinator_id=principal.subject_id,
        coordinator_org=principal.organisation_id,
        limit=limit,
        after=after,
    )


@router.get("/at-risk", response_model=AtRiskPage)
async def get_at_risk(*, principal: CaseworkerPrincipal, access: Access) -> Response:
    """Who may drop out: open gaps, overdue steps, deadlines within 7 days."""
    return await listings.at_risk(
        access,
        coordinator_id=principal.subject_id,
        coordinator_org=principal.organisation_id,
        now=utcnow(),
    )


@router.get("/pathways/{pathway_id}", response_model=PathwayView)
async def get_pathway(
    *, pathway_id: PathwayIdPath, runtime: Runtime, principal: CaseworkerPrincipal, access: Access
) -> PathwayView:
    """One person's pathway with its timeline (read from the event store)."""
    loaded = await visible_pathway(runtime.store, principal, access, pathway_id, now=utcnow())
    return _view(loaded)


@router.get("/pathways/{pathway_id}/timeline", response_model=list[TimelineEntry])
async def get_timeline(
    *, pathway_id: PathwayIdPath, runtime: Runtime, principal: CaseworkerPrincipal, access: Access
) -> list[TimelineEntry]:
    """The route as lines of text, oldest first."""
    loaded = await visible_pathway(runtime.store, principal, access, pathway_id, now=utcnow())
    return _timeline(loaded)


@router.post("/pathways", status_code=201, response_model=OpenedPathway)
async def open_new_pathway(body: OpenPathway, caseworker: CaseworkerCommands) -> JSONResponse:
    """Open a pathway that you coordinate (``coordinator_id`` and ``coordinator_org`` must be
    your own id and organisation)."""
    runtime = caseworker.runtime
    caseworker.names_pathway(body.pathway_id)

    # Checked on the request alone, before anything is looked up (the duplicate check below
    # would tell whether a pathway id exists): 422, because the body contradicts the caller's
    # token; 403 would say the role may not use the endpoint, which is not what went wrong.
    if body.coordinator_id != caseworker.principal.subject_id:
        raise UnprocessableError(
            "coordinator_id: must be your own coordinator id", field="coordinator_id"
        )
    if body.coordinator_org != caseworker.principal.organisation_id:
        raise UnprocessableError(
            "coordinator_org: must be your own organisation", field="coordinator_org"
        )
    await caseworker.refuse_unregistered(body)

    request_id = update_id(caseworker.principal.key, caseworker.key)

    async def action(retried: bool) -> tuple[int, dict[str, Any]]:
        try:
            load_template(body.template_id, body.template_version)
        except DomainError as exc:
            raise UnprocessableError(f"template_id: {exc.message}", field="template_id") from exc
        if retried and await _opened_by_this_request(runtime, body.pathway_id, request_id):
            # The first attempt opened it and died before answering: this is its answer.
            version = await _wait_for_stream(runtime, body.pathway_id)
            return 201, OpenedPathway(
                pathway_id=body.pathway_id, stream_version=version
            ).model_dump()
        if await runtime.store.stream_version(stream_id(body.pathway_id)) > 0:
            raise ConflictError("a pathway with this id exists", code="duplicate_pathway")
        command = body.model_copy(update={"actor": caseworker.actor})
        try:
            await open_pathway(
                runtime.client, command, task_queue=runtime.task_queue, request_id=request_id
            )
        except WorkflowAlreadyStartedError as exc:
            if await _opened_by_this_request(runtime, body.pathway_id, request_id):
                version = await _wait_for_stream(runtime, body.pathway_id)
                return 201, OpenedPathway(
                    pathway_id=body.pathway_id, stream_version=version
                ).model_dump()
            raise ConflictError("a pathway with this id exists", code="duplicate_pathway") from exc
        except RPCError as exc:
            raise UnavailableError("Temporal is unavailable") from exc
        version = await _wait_for_stream(runtime, body.pathway_id)
        return 201, OpenedPathway(pathway_id=body.pathway_id, stream_version=version).model_dump()

    return await caseworker.once(body, action)


async def _opened_by_this_request(runtime: ApiRuntime, pathway_id: str, request_id: str) -> bool:
    try:
        return await opened_by(runtime.client, pathway_id) == request_id
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND:
            return False
        raise UnavailableError("Temporal is unavailable") from exc


async def _wait_for_stream(runtime: ApiRuntime, pathway_id: str, seconds: float = 20) -> int:
    # The opening is stored by the workflow's first activity; answering after it lands means the
    # caller's next read finds the pathway.
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        version = await runtime.store.stream_version(stream_id(pathway_id))
        if version > 0 or asyncio.get_running_loop().time() > deadline:
            return version
        await asyncio.sleep(0.1)


@router.post("/pathways/{pathway_id}/commands", response_model=CommandResult)
async def run_command(
    pathway_id: PathwayIdPath,
    command: Annotated[AnyCommand, Body(description="any command; `actor` is set from your token")],
    caseworker: CaseworkerCommands,
) -> JSONResponse:
    """Send any command of the pathway workflow to a pathway you coordinate."""
    if isinstance(command, OpenPathway):
        raise UnprocessableError(
            "type: OpenPathway is sent with POST /caseworker/pathways", field="type"
        )
    as_sent = command
    command = command.model_copy(update={"actor": caseworker.actor})
    return await caseworker.send(pathway_id, command, body=as_sent)
