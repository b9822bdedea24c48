"""IPS and work: enrolment, job search, jobs and time-unlimited follow-along support.

Follow-along support has no end date (IPS principle 8): nothing in the domain closes it on a clock.
It ends only with the job or by an explicit decision whose reason is not a time limit.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict

from domain.ids import EmployerId, JobId, OfferId, OrgId, WorkerId


class EmploymentPhase(StrEnum):
    """Where the person is on the employment track (seeds-domain 7.3)."""

    NOT_STARTED = "not_started"
    EXPLORING = "exploring"  # enrolled, vocational profile in progress
    JOB_SEARCHING = "job_searching"
    EMPLOYED = "employed"
    SICK_LEAVE = "sick_leave"


class ContractType(StrEnum):
    """Kinds of paid work the seed countries name."""

    REGULAR = "regular"
    FLEX_JOB = "flex_job"  # DK fleksjob
    PERMITTED_WORK = "permitted_work"  # UK
    QUOTA_PLACEMENT = "quota_placement"  # IT Law 68/99
    PROTECTED_WORK = "protected_work"  # WISE, CEE, WfbM, coop B


class ContactParty(StrEnum):
    """Who a follow-along contact was with (R-23: employer contacts are kept apart)."""

    WORKER = "worker"
    EMPLOYER = "employer"
    COLLEAGUES = "colleagues"


class JobEndReason(StrEnum):
    """Why a job ended."""

    RESIGNED = "resigned"
    DISMISSED = "dismissed"
    CONTRACT_ENDED = "contract_ended"
    HEALTH = "health"
    OTHER = "other"


class EndedBy(StrEnum):
    """Who ended a job."""

    PERSON = "person"
    EMPLOYER = "employer"
    MUTUAL = "mutual"


class SupportEndReason(StrEnum):
    """Reasons that may end follow-along support or the employment track by decision.

    There is deliberately no time-limit or missed-appointments reason (IPS fidelity item 25).
    """

    PERSON_NO_LONGER_WANTS_SUPPORT = "person_no_longer_wants_support"
    PERSON_NO_LONGER_WANTS_WORK = "person_no_longer_wants_work"
    STEPPED_DOWN_TO_CLINICAL_TEAM = "stepped_down_to_clinical_team"
    MOVED_AWAY = "moved_away"
    DECEASED = "deceased"


FORBIDDEN_END_REASONS = frozenset({"time_limit", "missed_appointments", "funding_ended"})
"""Free-form reason codes the domain refuses whenever support would end (R-16, T-IPS-6)."""


class Job(BaseModel):
    """The current paid job."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    job_id: JobId
    employer_id: EmployerId
    started_at: AwareDatetime
    hours_per_week: float
    contract_type: ContractType
    competitive: bool
    on_sick_leave: bool = False


class JobOffer(BaseModel):
    """An offer the person received; they may decline it without any penalty (R-21)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    offer_id: OfferId
    employer_id: EmployerId
    received_at: AwareDatetime
    declined: bool = False
    accepted: bool = False


class Employment(BaseModel):
    """The employment track's own facts (its responsible organisation lives on the track)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    phase: EmploymentPhase = EmploymentPhase.NOT_STARTED
    enrolment_id: str | None = None
    ips_org: OrgId | None = None
    specialist_id: WorkerId | None = None
    enrolled_at: AwareDatetime | None = None
    vocational_profile_done: bool = False
    employer_contacts: int = 0
    first_employer_contact_at: AwareDatetime | None = None
    offers: dict[str, JobOffer] = {}
    job: Job | None = None
    jobs_started: int = 0
    follow_along_active: bool = False
    last_worker_contact_at: AwareDatetime | None = None
    last_employer_contact_at: AwareDatetime | None = None
    last_job_id: JobId | None = None
    last_job_ended_at: AwareDatetime | None = None
    contact_since_job_end: bool = True
