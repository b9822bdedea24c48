"""IPS and work commands."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from domain.commands.base import Command
from domain.employment import ContactParty, ContractType, EndedBy, JobEndReason
from domain.ids import EmployerId, JobId, OfferId, OrgId, WorkerId
from domain.text import Code, OptionalFreeText


class EnrolInIps(Command):
    """Enrol the person in IPS with an employment specialist (zero exclusion: no gate)."""

    type: Literal["EnrolInIps"] = "EnrolInIps"
    ips_org: OrgId
    specialist_id: WorkerId


class AssignEmploymentSpecialist(Command):
    """Hand the IPS support to another employment specialist of the same provider."""

    type: Literal["AssignEmploymentSpecialist"] = "AssignEmploymentSpecialist"
    specialist_id: WorkerId


class CompleteVocationalProfile(Command):
    """Record the completed vocational profile."""

    type: Literal["CompleteVocationalProfile"] = "CompleteVocationalProfile"
    preferences: OptionalFreeText = None


class StartJobSearch(Command):
    """Start job search (allowed straight after enrolment)."""

    type: Literal["StartJobSearch"] = "StartJobSearch"


class RecordEmployerContact(Command):
    """Record a contact with an employer about a job."""

    type: Literal["RecordEmployerContact"] = "RecordEmployerContact"
    employer_id: EmployerId
    face_to_face: bool = True


class RecordJobOffer(Command):
    """Record a job offer."""

    type: Literal["RecordJobOffer"] = "RecordJobOffer"
    offer_id: OfferId | None = None
    employer_id: EmployerId


class DeclineJobOffer(Command):
    """The person declines an offer."""

    type: Literal["DeclineJobOffer"] = "DeclineJobOffer"
    offer_id: OfferId
    reason_text: OptionalFreeText = None


class StartJob(Command):
    """Record a job start."""

    type: Literal["StartJob"] = "StartJob"
    job_id: JobId | None = None
    employer_id: EmployerId
    offer_id: OfferId | None = None
    hours_per_week: float = Field(gt=0, le=80)
    contract_type: ContractType = ContractType.REGULAR
    competitive: bool = True


class RecordFollowAlongContact(Command):
    """Record a follow-along contact (also the contact after a job loss)."""

    type: Literal["RecordFollowAlongContact"] = "RecordFollowAlongContact"
    with_party: ContactParty


class StartSickLeave(Command):
    """The worker goes on sick leave."""

    type: Literal["StartSickLeave"] = "StartSickLeave"


class ReturnToWork(Command):
    """The worker returns from sick leave."""

    type: Literal["ReturnToWork"] = "ReturnToWork"


class EndJob(Command):
    """The job ended; by default the person goes back to job search."""

    type: Literal["EndJob"] = "EndJob"
    reason_code: JobEndReason
    ended_by: EndedBy
    back_to_search: bool = True


class EndFollowAlong(Command):
    """End follow-along support by explicit decision. Time limits are refused."""

    type: Literal["EndFollowAlong"] = "EndFollowAlong"
    reason_code: Code
