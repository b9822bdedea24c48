"""What the person sees: one view of all active episodes, contacts, next steps and shares (R-32).

Only pseudonymous ids and codes; the API resolves organisation ids to names for display.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict

from domain.deadlines import next_deadlines
from domain.handover import fhir_task_status
from domain.state import PathwayState
from domain.templates import JurisdictionTemplate


class _View(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TrackView(_View):
    """One track as the person sees it."""

    track: str
    status: str
    responsible_org: str | None
    service_running: bool


class HandoverView(_View):
    """A handover still under way."""

    handover_id: str
    responsibility: str
    from_org: str
    to_org: str
    status: str
    fhir_task_status: str


class NextStep(_View):
    """Something that should happen by a time."""

    kind: str
    about: str
    due_at: AwareDatetime


class ConsentView(_View):
    """A consent and whether it is in force now."""

    consent_id: str
    recipient_org: str
    purpose: str
    data_categories: list[str]
    expires_at: AwareDatetime
    active: bool


class ShareView(_View):
    """Information that went somewhere, and under what."""

    recipient_org: str
    data_categories: list[str]
    purpose: str
    basis: str
    shared_at: AwareDatetime


class PersonView(_View):
    """The person's own overview of their pathway."""

    pathway_id: str
    status: str
    coordinator_id: str | None
    coordinator_org: str | None
    tracks: list[TrackView]
    handovers_under_way: list[HandoverView]
    next_steps: list[NextStep]
    open_support_gaps: int
    employment_phase: str
    follow_along_support: bool
    employer_disclosure: str | None
    consents: list[ConsentView]
    shares: list[ShareView]


def person_view(state: PathwayState, template: JurisdictionTemplate, now: datetime) -> PersonView:
    """Build the person's view of their pathway at ``now``."""
    coordinator = state.coordinator
    return PersonView(
        pathway_id=state.pathway_id,
        status=state.status.value,
        coordinator_id=coordinator.worker_id if coordinator else None,
        coordinator_org=coordinator.org_id if coordinator else None,
        tracks=[
            TrackView(
                track=t.track.value,
                status=t.status.value,
                responsible_org=t.responsible_org,
                service_running=t.service_active,
            )
            for t in (state.track(k) for k in sorted(state.tracks))
        ],
        handovers_under_way=[
            HandoverView(
                handover_id=h.handover_id,
                responsibility=h.responsibility.value,
                from_org=h.from_org,
                to_org=h.to_org,
                status=h.status.value,
                fhir_task_status=fhir_task_status(h.status),
            )
            for h in sorted(state.handovers.values(), key=lambda h: h.requested_at)
            if h.is_open
        ],
        next_steps=[
            NextStep(kind=d.kind.value, about=d.subject, due_at=d.due_at)
            for d in next_deadlines(state, template)
            if d.escalation_level == 1
        ],
        open_support_gaps=sum(1 for g in state.gaps.values() if g.is_open),
        employment_phase=state.employment.phase.value,
        follow_along_support=state.employment.follow_along_active,
        employer_disclosure=state.disclosure.level.value if state.disclosure else None,
        consents=[
            ConsentView(
                consent_id=c.consent_id,
                recipient_org=c.recipient_org,
                purpose=c.purpose.value,
                data_categories=sorted(c.data_categories),
                expires_at=c.expires_at,
                active=c.is_active(now),
            )
            for c in sorted(state.consents.values(), key=lambda c: c.granted_at)
        ],
        shares=[
            ShareView(
                recipient_org=s.recipient_org,
                data_categories=sorted(s.data_categories),
                purpose=s.purpose,
                basis=(
                    f"consent {s.consent_id}"
                    if s.consent_id
                    else f"legal basis {s.legal_basis_id}"
                    if s.legal_basis_id
                    else "disclosure choice"
                ),
                shared_at=s.shared_at,
            )
            for s in state.shares
        ],
    )
