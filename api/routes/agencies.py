"""Agencies: their inbox, one pathway as they may see it, and the handover steps they take.

``by_org`` and ``actor`` come from the token, never from the body: an agency acts only as itself.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api import listings
from api.deps import Access, AgencyPrincipal, Runtime, utcnow
from api.errors import ERROR_RESPONSES
from api.pathways import CommandResult, visible_pathway
from api.routes.commands import AgencyCommands
from domain.commands import (
    AcceptHandover,
    AcknowledgeHandover,
    BridgeSupportGap,
    DeclineHandover,
    RecordDischargeFollowUp,
    RecordFirstContact,
    RecordFollowAlongContact,
    RecordOutreachAttempt,
    RequestHandover,
)
from domain.employment import ContactParty
from domain.gaps import BridgeRole
from domain.handover import DeclineReason, HandoverStatus, fhir_task_status
from domain.ids import ConsentId, GapId, HandoverId, OrgId, WorkerId
from domain.sharing_scope import TRACK_PART, ViewPart, agency_view_scope
from domain.text import Code, OptionalFreeText
from domain.tracks import Responsibility
from workflows.inputs import PATHWAY_ID_PATTERN

router = APIRouter(prefix="/agency", tags=["agencies"], responses=ERROR_RESPONSES)

PathwayIdPath = Annotated[str, Path(pattern=PATHWAY_ID_PATTERN, description="pseudonymous id")]
HandoverIdPath = Annotated[
    str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InboxPage(BaseModel):
    """Handovers addressed to the caller's organisation (rows of the inbox projection)."""

    items: list[dict[str, object]]


class AgencyHandover(BaseModel):
    """A handover the agency sends or receives."""

    handover_id: str
    responsibility: str
    from_org: str
    to_org: str
    status: str
    fhir_task_status: str
    requested_at: AwareDatetime
    accepted_at: AwareDatetime | None
    first_contact_at: AwareDatetime | None
    decline_reason: str | None


class WithheldPartView(BaseModel):
    """A part of the pathway not shown to the caller, and the consent that would show it."""

    part: str
    data_category: str
    purposes: list[str]
    reason: str


class AgencyPathwayView(BaseModel):
    """What an agency sees of a pathway: status, its own handovers, and what consent covers.

    ``responsible`` names only the tracks the caller holds or whose category an active consent
    (or legal basis) covers; ``open_gaps`` likewise; ``withheld`` says what was left out and
    which consent would show it.
    """

    pathway_id: str
    status: str
    coordinator_org: str | None
    responsible: dict[str, str]
    handovers: list[AgencyHandover]
    open_gaps: list[str]
    withheld: list[WithheldPartView]


class RequestHandoverBody(_Body):
    """Ask another organisation to take over a responsibility the caller holds."""

    handover_id: HandoverId | None = None
    responsibility: Responsibility
    to_org: OrgId
    to_worker: WorkerId | None = None
    route_id: Code | None = None
    consent_id: ConsentId | None = None


class DeclineBody(_Body):
    """Decline with a reason code (and, optionally, a short text: personal, encrypted)."""

    reason_code: DeclineReason
    reason_text: OptionalFreeText = None


class FirstContactBody(_Body):
    """Who made first contact (a pseudonymous worker id), if the agency names one."""

    by_worker: WorkerId | None = None


class OutreachBody(_Body):
    """An attempt to reach the person."""

    channel: Code


class FollowAlongContact(_Body):
    """A follow-along contact (IPS) with the worker or the employer."""

    kind: Literal["follow_along"]
    with_party: ContactParty


class DischargeFollowUpContact(_Body):
    """The post-discharge follow-up contact."""

    kind: Literal["discharge_follow_up"]


class GapBridgeContact(_Body):
    """A bridging contact while a support gap is open."""

    kind: Literal["gap_bridge"]
    gap_id: GapId
    by_role: BridgeRole


class ContactBody(_Body):
    """A later contact with the person."""

    contact: Annotated[
        FollowAlongContact | DischargeFollowUpContact | GapBridgeContact,
        Field(discriminator="kind"),
    ]


@router.get("/inbox", response_model=InboxPage, summary="handovers addressed to you")
async def get_inbox(
    *,
    principal: AgencyPrincipal,
    access: Access,
    status: Annotated[
        HandoverStatus | None, Query(description="only handovers in this status")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    after: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    return await listings.inbox(
        access,
        organisation_id=principal.organisation_id,
        status=None if status is None else status.value,
        limit=limit,
        after=after,
    )


@router.get("/pathways/{pathway_id}", response_model=AgencyPathwayView)
async def get_pathway(
    *, pathway_id: PathwayIdPath, runtime: Runtime, principal: AgencyPrincipal, access: Access
) -> AgencyPathwayView:
    """A pathway in which you are a party and which consent covers; otherwise 404."""
    now = utcnow()
    loaded = await visible_pathway(runtime.store, principal, access, pathway_id, now=now)
    state, org = loaded.state, principal.organisation_id
    scope = agency_view_scope(state, org, now)
    return AgencyPathwayView(
        pathway_id=state.pathway_id,
        status=state.status.value,
        coordinator_org=state.coordinator.org_id if state.coordinator else None,
        responsible={
            t.track.value: t.responsible_org
            for t in state.active_tracks()
            if t.responsible_org and scope.shows(TRACK_PART[t.track])
        },
        handovers=[
            AgencyHandover(
                handover_id=h.handover_id,
                responsibility=h.responsibility.value,
                from_org=h.from_org,
                to_org=h.to_org,
                status=h.status.value,
                fhir_task_status=fhir_task_status(h.status),
                requested_at=h.requested_at,
                accepted_at=h.accepted_at,
                first_contact_at=h.first_contact_at,
                decline_reason=h.decline_reason.value if h.decline_reason else None,
            )
            for h in state.handovers.values()
            if org in (h.from_org, h.to_org)
        ],
        open_gaps=(
            [g for g, gap in state.gaps.items() if gap.is_open]
            if scope.shows(ViewPart.SUPPORT_GAPS)
            else []
        ),
        withheld=[
            WithheldPartView(
                part=w.part.value,
                data_category=w.data_category.value,
                purposes=[p.value for p in w.purposes],
                reason=w.reason,
            )
            for w in scope.withheld
        ],
    )


@router.post("/pathways/{pathway_id}/handovers", status_code=201, response_model=CommandResult)
async def request_handover(
    pathway_id: PathwayIdPath, body: RequestHandoverBody, agency: AgencyCommands
) -> JSONResponse:
    """Request a handover from your own system; you stay responsible until first contact."""
    command = RequestHandover(actor=agency.actor, from_org=agency.org, **body.model_dump())
    return await agency.send(pathway_id, command, body=body, status=201)


@router.post(
    "/pathways/{pathway_id}/handovers/{handover_id}/acknowledge", response_model=CommandResult
)
async def acknowledge(
    pathway_id: PathwayIdPath, handover_id: HandoverIdPath, agency: AgencyCommands
) -> JSONResponse:
    """Confirm receipt of a handover addressed to you."""
    command = AcknowledgeHandover(actor=agency.actor, handover_id=handover_id, by_org=agency.org)
    return await agency.send(pathway_id, command)


@router.post("/pathways/{pathway_id}/handovers/{handover_id}/accept", response_model=CommandResult)
async def accept(
    pathway_id: PathwayIdPath, handover_id: HandoverIdPath, agency: AgencyCommands
) -> JSONResponse:
    """Agree to take over."""
    command = AcceptHandover(actor=agency.actor, handover_id=handover_id, by_org=agency.org)
    return await agency.send(pathway_id, command)


@router.post("/pathways/{pathway_id}/handovers/{handover_id}/decline", response_model=CommandResult)
async def decline(
    pathway_id: PathwayIdPath,
    handover_id: HandoverIdPath,
    body: DeclineBody,
    agency: AgencyCommands,
) -> JSONResponse:
    """Decline with a reason code; the coordinator must then redirect or escalate."""
    command = DeclineHandover(
        actor=agency.actor,
        handover_id=handover_id,
        by_org=agency.org,
        reason_code=body.reason_code,
        reason_text=body.reason_text,
    )
    return await agency.send(pathway_id, command, body=body)


@router.post(
    "/pathways/{pathway_id}/handovers/{handover_id}/first-contact", response_model=CommandResult
)
async def first_contact(
    pathway_id: PathwayIdPath,
    handover_id: HandoverIdPath,
    body: FirstContactBody,
    agency: AgencyCommands,
) -> JSONResponse:
    """Record first contact: responsibility moves to you."""
    command = RecordFirstContact(
        actor=agency.actor, handover_id=handover_id, by_org=agency.org, by_worker=body.by_worker
    )
    return await agency.send(pathway_id, command, body=body)


@router.post(
    "/pathways/{pathway_id}/handovers/{handover_id}/outreach-attempts", response_model=CommandResult
)
async def outreach_attempt(
    pathway_id: PathwayIdPath,
    handover_id: HandoverIdPath,
    body: OutreachBody,
    agency: AgencyCommands,
) -> JSONResponse:
    """Record an attempt to reach the person before first contact."""
    command = RecordOutreachAttempt(
        actor=agency.actor, handover_id=handover_id, channel=body.channel
    )
    return await agency.send(pathway_id, command, body=body)


@router.post("/pathways/{pathway_id}/contacts", response_model=CommandResult)
async def record_contact(
    pathway_id: PathwayIdPath, body: ContactBody, agency: AgencyCommands
) -> JSONResponse:
    """Record a later contact: follow-along, discharge follow-up or a bridging contact."""
    contact = body.contact
    command: RecordFollowAlongContact | RecordDischargeFollowUp | BridgeSupportGap
    if isinstance(contact, FollowAlongContact):
        command = RecordFollowAlongContact(actor=agency.actor, with_party=contact.with_party)
    elif isinstance(contact, DischargeFollowUpContact):
        command = RecordDischargeFollowUp(actor=agency.actor, by_org=agency.org)
    else:
        command = BridgeSupportGap(
            actor=agency.actor, gap_id=contact.gap_id, by_role=contact.by_role
        )
    return await agency.send(pathway_id, command, body=body)
