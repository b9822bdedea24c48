"""Outcome facts the domain state does not keep: every discharge, every job, missed handover steps.

``PathwayState`` keeps only the latest discharge and the current job, which is all the workflow
needs; the outcome figures need the whole series. ``evolve_facts`` folds them from the same events,
purely, so the projector stores them beside the state and replays them the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

from domain.escalation import DeadlineKind
from domain.events import (
    DeadlineMissed,
    EmployerContacted,
    Event,
    IpsEnrolled,
    JobEnded,
    JobStarted,
    PersonDischarged,
)

HANDOVER_KINDS = frozenset(
    {
        DeadlineKind.HANDOVER_ACKNOWLEDGE,
        DeadlineKind.HANDOVER_ACCEPT,
        DeadlineKind.HANDOVER_FIRST_CONTACT,
        DeadlineKind.HANDOVER_RESOLUTION,
    }
)
"""Clocks that belong to a handover (their subject is the handover id)."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DischargeFact(_Frozen):
    """One discharge from hospital."""

    discharge_id: str
    discharged_at: AwareDatetime


class JobFact(_Frozen):
    """One paid job, from its start to its end (``None`` while it lasts)."""

    job_id: str
    employer_id: str
    contract_type: str
    competitive: bool
    hours_per_week: float
    started_at: AwareDatetime
    ended_at: AwareDatetime | None = None


class OutcomeFacts(_Frozen):
    """The series of one pathway that outcome figures need, in event order."""

    discharges: tuple[DischargeFact, ...] = ()
    jobs: tuple[JobFact, ...] = ()
    ips_enrolled_at: AwareDatetime | None = None
    """The first IPS enrolment (the 30-day employer-contact clock of IPS fidelity)."""
    first_employer_contact_at: AwareDatetime | None = None
    """The first employer contact at or after the first enrolment."""
    overdue_handovers: tuple[str, ...] = ()
    """Handovers with at least one missed step deadline, sorted."""
    last_event_at: AwareDatetime | None = None


def _discharged(facts: OutcomeFacts, event: PersonDischarged) -> OutcomeFacts:
    discharge = DischargeFact(discharge_id=event.discharge_id, discharged_at=event.occurred_at)
    return facts.model_copy(update={"discharges": (*facts.discharges, discharge)})


def _job_started(facts: OutcomeFacts, event: JobStarted) -> OutcomeFacts:
    job = JobFact(
        job_id=event.job_id,
        employer_id=event.employer_id,
        contract_type=event.contract_type.value,
        competitive=event.competitive,
        hours_per_week=event.hours_per_week,
        started_at=event.occurred_at,
    )
    return facts.model_copy(update={"jobs": (*facts.jobs, job)})


def _job_ended(facts: OutcomeFacts, event: JobEnded) -> OutcomeFacts:
    jobs = tuple(
        j.model_copy(update={"ended_at": event.occurred_at})
        if j.job_id == event.job_id and j.ended_at is None
        else j
        for j in facts.jobs
    )
    return facts.model_copy(update={"jobs": jobs})


def _enrolled(facts: OutcomeFacts, event: IpsEnrolled) -> OutcomeFacts:
    if facts.ips_enrolled_at is not None:
        return facts
    return facts.model_copy(update={"ips_enrolled_at": event.occurred_at})


def _employer_contacted(facts: OutcomeFacts, event: EmployerContacted) -> OutcomeFacts:
    if facts.ips_enrolled_at is None or facts.first_employer_contact_at is not None:
        return facts
    return facts.model_copy(update={"first_employer_contact_at": event.occurred_at})


def _missed(facts: OutcomeFacts, event: DeadlineMissed) -> OutcomeFacts:
    if event.kind not in HANDOVER_KINDS:
        return facts
    overdue = sorted({*facts.overdue_handovers, event.subject})
    return facts.model_copy(update={"overdue_handovers": tuple(overdue)})


_FACT_APPLIERS: dict[type, Callable[[OutcomeFacts, Any], OutcomeFacts]] = {
    PersonDischarged: _discharged,
    JobStarted: _job_started,
    JobEnded: _job_ended,
    IpsEnrolled: _enrolled,
    EmployerContacted: _employer_contacted,
    DeadlineMissed: _missed,
}


def evolve_facts(facts: OutcomeFacts, event: Event) -> OutcomeFacts:
    """Return the facts after one domain event (the input is unchanged)."""
    facts = facts.model_copy(update={"last_event_at": event.occurred_at})
    applier = _FACT_APPLIERS.get(type(event))
    return facts if applier is None else applier(facts, event)


def first_at_or_after(moments: list[datetime], start: datetime) -> datetime | None:
    """The earliest of ``moments`` at or after ``start``."""
    later = [m for m in moments if m >= start]
    return min(later) if later else None
