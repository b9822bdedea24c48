"""Deadlines as pure functions of state and template.

``next_deadlines`` lists every clock that is running, with the wall-clock instant at which it runs
out and the escalation level its miss would reach (1: coordinator, 2: supervisor; after level 2
the clock stops re-arming, the escalation stays visible). Paused time does not count: pathway
clocks stand still while the pathway is paused (readmission), a handover's clocks while it is on
hold. The only calendar clock is a funding period's end, which no pause moves.

The workflow sleeps until the earliest ``due_at`` and then sends ``MarkDeadlineMissed``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict

from domain.clock import Interval, due_after
from domain.commands import MarkDeadlineMissed
from domain.deadline_keys import escalation_level
from domain.escalation import (
    MAX_ESCALATION_LEVEL,
    DeadlineKind,
    EscalationTarget,
    deadline_key,
    target_for_level,
)
from domain.handover import Handover, HandoverStatus
from domain.state import ClinicalPhase, PathwayState
from domain.templates import Clock, JurisdictionTemplate
from domain.tracks import Track, TrackStatus


class Deadline(BaseModel):
    """One running clock: what, about which thing, when, and who hears of a miss."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: DeadlineKind
    subject: str  # handover id, gap id, job id, discharge id, ...
    due_at: AwareDatetime
    escalation_level: int
    escalate_to: EscalationTarget

    @property
    def key(self) -> str:
        """The clock's identity (kind and subject, without the level)."""
        return deadline_key(self.kind, self.subject)

    def as_command(self, actor: str = "system") -> MarkDeadlineMissed:
        """The command that reports this deadline as missed."""
        return MarkDeadlineMissed(
            actor=actor,
            kind=self.kind,
            subject=self.subject,
            escalation_level=self.escalation_level,
        )


class _Clocks:
    """Builds deadlines for one state and template."""

    def __init__(self, state: PathwayState, template: JurisdictionTemplate) -> None:
        self.state = state
        self.template = template
        self.step = template.clocks.escalation_interval.duration

    def make(
        self,
        kind: DeadlineKind,
        subject: str,
        start: datetime,
        duration: timedelta,
        *,
        level: int | None = None,
        extra_pauses: Iterable[Interval] = (),
        pausable: bool = True,
    ) -> Deadline | None:
        next_level = (
            level if level is not None else escalation_level(self.state, kind, subject)
        ) + 1
        if next_level > MAX_ESCALATION_LEVEL:
            return None
        running = duration + self.step * (next_level - 1)
        if pausable:
            due = due_after(start, running, (*self.state.pauses, *extra_pauses))
        else:
            due = start + running
        if due is None:
            return None  # frozen in a pause that has not ended
        return Deadline(
            kind=kind,
            subject=subject,
            due_at=due,
            escalation_level=next_level,
            escalate_to=target_for_level(next_level),
        )


def _discharge(c: _Clocks) -> Iterator[Deadline | None]:
    discharge = c.state.clinical.last_discharge
    if (
        discharge is None
        or discharge.followed_up_at is not None
        or c.state.clinical.phase is ClinicalPhase.INPATIENT
    ):
        return
    clocks = c.template.clocks
    clock = (
        clocks.discharge_follow_up_suicide_risk
        if discharge.suicide_risk_identified
        else clocks.discharge_follow_up
    )
    yield c.make(
        DeadlineKind.DISCHARGE_FOLLOW_UP,
        discharge.discharge_id,
        discharge.discharged_at,
        clock.duration,
    )


def _handover(c: _Clocks, handover: Handover) -> Iterator[Deadline | None]:
    sla = c.template.sla_for(handover.route_id)
    hid = handover.handover_id
    holds = handover.holds
    match handover.status:
        case HandoverStatus.REQUESTED:
            yield c.make(
                DeadlineKind.HANDOVER_ACKNOWLEDGE,
                hid,
                handover.requested_at,
                sla.acknowledge.duration,
                extra_pauses=holds,
            )
            yield c.make(
                DeadlineKind.HANDOVER_ACCEPT,
                hid,
                handover.requested_at,
                sla.accept.duration,
                extra_pauses=holds,
            )
        case HandoverStatus.ACKNOWLEDGED:
            yield c.make(
                DeadlineKind.HANDOVER_ACCEPT,
                hid,
                handover.requested_at,
                sla.accept.duration,
                extra_pauses=holds,
            )
        case HandoverStatus.ACCEPTED:
            assert handover.accepted_at is not None
            yield c.make(
                DeadlineKind.HANDOVER_FIRST_CONTACT,
                hid,
                handover.accepted_at,
                sla.first_contact.duration,
                extra_pauses=holds,
            )
        case HandoverStatus.DECLINED | HandoverStatus.FAILED:
            assert handover.resolution_started_at is not None
            yield c.make(
                DeadlineKind.HANDOVER_RESOLUTION,
                hid,
                handover.resolution_started_at,
                sla.resolve_decline.duration,
                level=handover.escalation_level,
                extra_pauses=holds,
            )
        case _:
            return


def _employment(c: _Clocks) -> Iterator[Deadline | None]:
    state, clocks = c.state, c.template.clocks
    employment = state.employment
    if state.track(Track.EMPLOYMENT).status is not TrackStatus.ACTIVE:
        return
    if (
        employment.enrolled_at is not None
        and employment.enrolment_id is not None
        and employment.first_employer_contact_at is None
    ):
        yield c.make(
            DeadlineKind.IPS_FIRST_EMPLOYER_CONTACT,
            employment.enrolment_id,
            employment.enrolled_at,
            clocks.ips_first_employer_contact.duration,
        )
    job = employment.job
    if job is not None and employment.follow_along_active:
        last = employment.last_worker_contact_at or job.started_at
        early = last < job.started_at + clocks.follow_along_early_period.duration
        interval = clocks.follow_along_early_interval if early else clocks.follow_along_interval
        yield c.make(DeadlineKind.FOLLOW_ALONG_WORKER_CONTACT, job.job_id, last, interval.duration)
        if clocks.follow_along_employer_interval is not None:
            yield c.make(
                DeadlineKind.FOLLOW_ALONG_EMPLOYER_CONTACT,
                job.job_id,
                employment.last_employer_contact_at or job.started_at,
                clocks.follow_along_employer_interval.duration,
            )
    if (
        job is None
        and employment.last_job_id is not None
        and employment.last_job_ended_at is not None
        and not employment.contact_since_job_end
    ):
        yield c.make(
            DeadlineKind.JOB_LOSS_CONTACT,
            employment.last_job_id,
            employment.last_job_ended_at,
            clocks.job_loss_contact.duration,
        )


def _gaps_and_decisions(c: _Clocks) -> Iterator[Deadline | None]:
    state, clocks = c.state, c.template.clocks
    for gap in state.gaps.values():
        if gap.is_open:
            yield c.make(
                DeadlineKind.SUPPORT_GAP_BRIDGING,
                gap.gap_id,
                gap.last_bridged_at or gap.opened_at,
                clocks.gap_bridging_interval.duration,
            )
    pending = state.continuation_pending
    if pending is not None:
        yield c.make(
            DeadlineKind.CONTINUATION_DECISION,
            pending.decision_id,
            pending.required_since,
            clocks.continuation_decision.duration,
        )
    notice: Clock = clocks.funding_review_notice
    for funding in state.funding.values():
        if not funding.reviewed:
            yield c.make(
                DeadlineKind.FUNDING_REVIEW,
                funding.funding_id,
                funding.ends_at - notice.duration,
                timedelta(0),
                pausable=False,  # a funder's calendar does not stop for a readmission
            )


def next_deadlines(state: PathwayState, template: JurisdictionTemplate) -> list[Deadline]:
    """Every running clock of the pathway, earliest first.

    Args:
        state: the pathway state.
        template: the jurisdiction template the pathway pinned.

    Returns:
        Deadlines sorted by ``due_at`` (then kind and subject, so the order is stable). Empty for a
        pathway that is not open. Clocks frozen in a running pause are left out.
    """
    if not state.is_live:
        return []
    clocks = _Clocks(state, template)
    found: list[Deadline | None] = [*_discharge(clocks)]
    for handover in sorted(state.handovers.values(), key=lambda h: h.handover_id):
        found.extend(_handover(clocks, handover))
    found.extend(_employment(clocks))
    found.extend(_gaps_and_decisions(clocks))
    deadlines = [d for d in found if d is not None]
    return sorted(deadlines, key=lambda d: (d.due_at, d.kind.value, d.subject))


def due_deadlines(
    state: PathwayState, template: JurisdictionTemplate, now: datetime
) -> list[Deadline]:
    """The deadlines whose ``due_at`` is at or before ``now``."""
    return [d for d in next_deadlines(state, template) if d.due_at <= now]


def find_deadline(
    state: PathwayState,
    template: JurisdictionTemplate,
    kind: DeadlineKind,
    subject: str,
    level: int,
) -> Deadline | None:
    """The running deadline with this kind, subject and level, if any."""
    for deadline in next_deadlines(state, template):
        if (deadline.kind, deadline.subject, deadline.escalation_level) == (kind, subject, level):
            return deadline
    return None
