"""Pure derivation of every projection row of one pathway from its folded state and facts.

Why derive all rows from the state instead of patching rows per event type: the domain's
``evolve`` already encodes what each event means (responsibility moves only at first contact, a
decline awaits a redirect, pauses stop clocks), and ``next_deadlines`` already knows every running
clock. Deriving from the state reuses exactly that logic, so a projection cannot disagree with
the workflow, and the rows depend on the events only - never on when or in which batches they
were delivered - which is what makes a rebuild equal the live projections.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from api.projections.facts import HANDOVER_KINDS, OutcomeFacts, first_at_or_after
from api.projections.tables import (
    AGENCY_INBOX,
    CASELOAD,
    DEADLINES,
    OUTCOME_DISCHARGES,
    OUTCOME_GAPS,
    OUTCOME_JOBS,
    OUTCOMES,
    PARTIES,
    SHARING_BASES,
    Table,
)
from domain.deadlines import Deadline, next_deadlines
from domain.employment import EmploymentPhase
from domain.errors import DomainError
from domain.escalation import DeadlineKind, deadline_key
from domain.gaps import GapTrigger
from domain.handover import (
    NEEDS_RESOLUTION,
    RECEIVER_TAKES_PART,
    SENDER_TAKES_PART,
    fhir_task_status,
)
from domain.state import ClinicalPhase, PathwayState, PathwayStatus
from domain.templates import JurisdictionTemplate, load_template
from domain.tracks import Responsibility, Track, TrackStatus

Row = tuple[Any, ...]


@dataclass(frozen=True)
class PathwayRows:
    """Rows of one pathway, per table, each list sorted by the table's key."""

    by_table: dict[str, list[Row]] = field(default_factory=dict)

    def rows(self, table: Table) -> list[Row]:
        """The rows of one table (empty when the pathway has none there)."""
        return self.by_table.get(table.name, [])


def template_of(state: PathwayState) -> JurisdictionTemplate | None:
    """The template the pathway pinned, or ``None`` when it is unknown to this build."""
    if state.template_id is None or state.template_version is None:
        return None
    try:
        return load_template(state.template_id, state.template_version)
    except DomainError:
        return None


def stage_of(state: PathwayState) -> str:
    """Where the person is on the route (seeds-domain 3.1), as one code for the caseload."""
    phase = state.employment.phase
    open_discharge_gap = any(
        g.is_open and g.trigger is GapTrigger.DISCHARGE for g in state.gaps.values()
    )
    checks: tuple[tuple[bool, str], ...] = (
        (state.status is PathwayStatus.CLOSED, "closed"),
        (state.status is PathwayStatus.PAUSED, "paused"),
        (state.clinical.phase is ClinicalPhase.INPATIENT, "inpatient"),
        (phase is EmploymentPhase.SICK_LEAVE, "in_work_sick_leave"),
        (phase is EmploymentPhase.EMPLOYED, "in_work"),
        (phase is EmploymentPhase.JOB_SEARCHING, "job_search"),
        (phase is EmploymentPhase.EXPLORING, "ips_exploring"),
        (open_discharge_gap, "discharge_transition"),
        (state.track(Track.SOCIAL).service_active, "municipal_support"),
        (
            state.clinical.phase is ClinicalPhase.DISCHARGED_AWAITING_FOLLOW_UP,
            "discharge_transition",
        ),
        (state.clinical.phase is ClinicalPhase.COMMUNITY, "community_care"),
    )
    return next((stage for holds, stage in checks if holds), "entry")


def overdue_keys(state: PathwayState, template: JurisdictionTemplate | None) -> list[str]:
    """Clocks whose miss was recorded and whose step still has not happened (``kind:subject``).

    The domain stops re-arming a clock after its second escalation, so "still running" is asked
    of the state with escalations forgotten and the running pause lifted; a declined or failed
    handover stays overdue until it is redirected or withdrawn.
    """
    escalated = {key for key, level in state.escalations.items() if level >= 1}
    if not escalated or not state.is_live or template is None:
        return []
    unfrozen = state.model_copy(
        update={
            "escalations": {},
            "pauses": tuple(p for p in state.pauses if p.end is not None),
        }
    )
    running = {d.key for d in next_deadlines(unfrozen, template)}
    running |= {
        deadline_key(DeadlineKind.HANDOVER_RESOLUTION, h.handover_id)
        for h in state.handovers.values()
        if h.status in NEEDS_RESOLUTION
    }
    return sorted(escalated & running)


def derive_rows(
    state: PathwayState,
    facts: OutcomeFacts,
    *,
    stream_version: int,
    template: JurisdictionTemplate | None,
) -> PathwayRows:
    """Every projection row of one pathway.

    Args:
        state: the fold of the pathway's domain events.
        facts: the fold of the same events by ``evolve_facts``.
        stream_version: the stream version both reflect (shown as the caseload's version).
        template: the pinned template (``template_of``); without it no clock is known.
    """
    deadlines = next_deadlines(state, template) if template is not None else []
    overdue = overdue_keys(state, template)
    rows = {
        CASELOAD.name: [_caseload(state, facts, stream_version, deadlines, overdue)],
        AGENCY_INBOX.name: _inbox(state, deadlines),
        PARTIES.name: _parties(state),
        SHARING_BASES.name: _sharing_bases(state),
        DEADLINES.name: _deadlines(state, deadlines),
        OUTCOMES.name: [_outcome(state, facts)],
        OUTCOME_DISCHARGES.name: _discharges(state, facts),
        OUTCOME_GAPS.name: _gaps(state),
        OUTCOME_JOBS.name: _jobs(state, facts),
    }
    return PathwayRows({name: sorted(found, key=_sort_key) for name, found in rows.items()})


def _sort_key(row: Row) -> tuple[str, ...]:
    # Every table's key starts with text columns (pathway id, then ids); sorting on the first
    # four as text is stable and only has to be deterministic for row-list comparison.
    return tuple(str(v) for v in row[:4])


def _caseload(
    state: PathwayState,
    facts: OutcomeFacts,
    stream_version: int,
    deadlines: list[Deadline],
    overdue: list[str],
) -> Row:
    coordinator = state.coordinator
    responsible = {
        t.track: t.responsible_org for t in state.tracks.values() if t.status is TrackStatus.ACTIVE
    }
    open_gaps = sum(1 for g in state.gaps.values() if g.is_open)
    unresolved = sum(1 for h in state.handovers.values() if h.status in NEEDS_RESOLUTION)
    first = deadlines[0] if deadlines else None
    at_risk = state.is_live and bool(open_gaps or overdue or unresolved)
    return (
        state.pathway_id,
        coordinator.worker_id if coordinator else None,
        coordinator.org_id if coordinator else None,
        state.template_id,
        state.template_version,
        state.status.value,
        stage_of(state),
        responsible.get(Track.CLINICAL),
        responsible.get(Track.SOCIAL),
        responsible.get(Track.EMPLOYMENT),
        responsible.get(Track.INCOME),
        state.opened_at,
        facts.last_event_at,
        open_gaps,
        unresolved,
        first.due_at if first else None,
        first.kind.value if first else None,
        len(overdue),
        overdue,
        at_risk,
        stream_version,
    )


def _inbox(state: PathwayState, deadlines: list[Deadline]) -> list[Row]:
    next_step: dict[str, Deadline] = {}
    for d in deadlines:  # earliest first
        if d.kind in HANDOVER_KINDS and d.subject not in next_step:
            next_step[d.subject] = d
    rows = []
    for h in state.handovers.values():
        step = next_step.get(h.handover_id)
        rows.append(
            (
                state.pathway_id,
                h.handover_id,
                h.from_org,
                h.to_org,
                h.responsibility.value,
                h.route_id,
                h.status.value,
                fhir_task_status(h.status),
                h.requested_at,
                h.acknowledged_at,
                h.accepted_at,
                h.first_contact_at,
                h.completed_at,
                h.decline_reason.value if h.decline_reason else None,
                h.redirected_from,
                h.redirected_to,
                h.escalation_level,
                step.kind.value if step else None,
                step.due_at if step else None,
                step.escalation_level if step else None,
            )
        )
    return rows


def _parties(state: PathwayState) -> list[Row]:
    open_ = state.status is not PathwayStatus.CLOSED
    found: dict[tuple[str, str, str], bool] = {}

    def add(org: str, role: str, ref: str, current: bool) -> None:
        key = (org, role, ref)
        found[key] = found.get(key, False) or (current and open_)

    if state.coordinator is not None:
        add(state.coordinator.org_id, "coordinator", "coordination", True)
    for t in state.tracks.values():
        if t.responsible_org is not None:
            add(t.responsible_org, "responsible", t.track.value, t.status is TrackStatus.ACTIVE)
    for h in state.handovers.values():
        add(h.from_org, "sender", h.handover_id, h.status in SENDER_TAKES_PART)
        add(h.to_org, "receiver", h.handover_id, h.status in RECEIVER_TAKES_PART)
    return [(state.pathway_id, org, role, ref, cur) for (org, role, ref), cur in found.items()]


def _sharing_bases(state: PathwayState) -> list[Row]:
    rows: list[Row] = [
        (
            state.pathway_id,
            "consent",
            c.consent_id,
            c.recipient_org,
            c.purpose.value,
            sorted(c.data_categories),
            c.granted_at,
            c.expires_at,
            c.status.value == "withdrawn",
        )
        for c in state.consents.values()
    ]
    rows.extend(
        (
            state.pathway_id,
            "legal_basis",
            b.basis_id,
            b.recipient_org,
            b.purpose.value,
            sorted(b.data_categories),
            b.recorded_at,
            None,
            False,
        )
        for b in state.legal_bases.values()
    )
    return rows


def _deadlines(state: PathwayState, deadlines: list[Deadline]) -> list[Row]:
    coordinator = state.coordinator.worker_id if state.coordinator else None
    unique = {(d.kind.value, d.subject): d for d in reversed(deadlines)}  # keep the earliest
    return [
        (state.pathway_id, kind, subject, d.escalation_level, coordinator, d.due_at)
        for (kind, subject), d in unique.items()
    ]


def _outcome(state: PathwayState, facts: OutcomeFacts) -> Row:
    overdue = sum(1 for h in facts.overdue_handovers if h in state.handovers)
    return (
        state.pathway_id,
        state.template_id,
        state.opened_at,
        facts.ips_enrolled_at,
        facts.first_employer_contact_at,
        len(state.handovers),
        overdue,
    )


def _municipal_contacts(state: PathwayState) -> list[datetime]:
    return [
        h.first_contact_at
        for h in state.handovers.values()
        if h.responsibility is Responsibility.SOCIAL and h.first_contact_at is not None
    ]


def _discharges(state: PathwayState, facts: OutcomeFacts) -> list[Row]:
    contacts = _municipal_contacts(state)
    unique = {d.discharge_id: d for d in facts.discharges}
    return [
        (
            state.pathway_id,
            d.discharge_id,
            d.discharged_at,
            first_at_or_after(contacts, d.discharged_at),
        )
        for d in unique.values()
    ]


def _gaps(state: PathwayState) -> list[Row]:
    return [
        (
            state.pathway_id,
            g.gap_id,
            g.trigger.value,
            g.track.value if g.track else None,
            g.opened_at,
            g.closed_at,
            g.duration,
        )
        for g in state.gaps.values()
    ]


def _jobs(state: PathwayState, facts: OutcomeFacts) -> list[Row]:
    unique = {j.job_id: j for j in facts.jobs}
    return [
        (
            state.pathway_id,
            j.job_id,
            j.employer_id,
            j.contract_type,
            j.competitive,
            j.hours_per_week,
            j.started_at,
            j.ended_at,
        )
        for j in unique.values()
    ]
