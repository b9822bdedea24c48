"""IPS and work events."""

from __future__ import annotations

from typing import Literal

from domain.employment import ContactParty, ContractType, EndedBy, JobEndReason, SupportEndReason
from domain.events.base import Event
from domain.ids import EmployerId, JobId, OfferId, OrgId, WorkerId
from domain.personal import OptionalPersonalText


class IpsEnrolled(Event):
    """The person entered IPS: the 30-day employer-contact clock starts."""

    type: Literal["IpsEnrolled"] = "IpsEnrolled"
    enrolment_id: str
    ips_org: OrgId
    specialist_id: WorkerId


class EmploymentSpecialistAssigned(Event):
    """Another employment specialist took over the person's IPS support."""

    type: Literal["EmploymentSpecialistAssigned"] = "EmploymentSpecialistAssigned"
    specialist_id: WorkerId


class VocationalProfileCompleted(Event):
    """The vocational profile (preferences, strengths) was completed."""

    type: Literal["VocationalProfileCompleted"] = "VocationalProfileCompleted"
    preferences: OptionalPersonalText = None


class JobSearchStarted(Event):
    """Job search started (directly after enrolment is allowed: place, then train)."""

    type: Literal["JobSearchStarted"] = "JobSearchStarted"


class EmployerContacted(Event):
    """The person or the specialist contacted an employer about a job."""

    type: Literal["EmployerContacted"] = "EmployerContacted"
    employer_id: EmployerId
    face_to_face: bool


class JobOfferReceived(Event):
    """An employer offered a job."""

    type: Literal["JobOfferReceived"] = "JobOfferReceived"
    offer_id: OfferId
    employer_id: EmployerId


class JobOfferDeclined(Event):
    """The person declined an offer; no penalty follows (R-21)."""

    type: Literal["JobOfferDeclined"] = "JobOfferDeclined"
    offer_id: OfferId
    reason_text: OptionalPersonalText = None


class JobStarted(Event):
    """Paid work started; time-unlimited follow-along support starts with it."""

    type: Literal["JobStarted"] = "JobStarted"
    job_id: JobId
    employer_id: EmployerId
    offer_id: OfferId | None = None
    hours_per_week: float
    contract_type: ContractType
    competitive: bool


class FollowAlongContactMade(Event):
    """A follow-along contact with the worker, the employer or colleagues."""

    type: Literal["FollowAlongContactMade"] = "FollowAlongContactMade"
    job_id: JobId | None = None  # None: a contact after job loss, before the next job
    with_party: ContactParty


class SickLeaveStarted(Event):
    """The worker went on sick leave; the job and follow-along support continue."""

    type: Literal["SickLeaveStarted"] = "SickLeaveStarted"
    job_id: JobId


class ReturnedToWork(Event):
    """The worker returned from sick leave."""

    type: Literal["ReturnedToWork"] = "ReturnedToWork"
    job_id: JobId


class JobEnded(Event):
    """The job ended; a contact within days is due and the person may go back to search."""

    type: Literal["JobEnded"] = "JobEnded"
    job_id: JobId
    reason_code: JobEndReason
    ended_by: EndedBy
    back_to_search: bool = True


class FollowAlongEnded(Event):
    """Follow-along support ended by an explicit decision (never by a clock)."""

    type: Literal["FollowAlongEnded"] = "FollowAlongEnded"
    reason_code: SupportEndReason
