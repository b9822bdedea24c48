"""All events, and ``AnyEvent``: the discriminated union over their ``type``."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from domain.events.base import Event
from domain.events.benefits import (
    BenefitDecisionRecorded,
    EmploymentContinuationDecisionRequired,
    EmploymentTrackContinuationDecided,
    FundingPeriodRecorded,
    FundingReviewed,
)
from domain.events.clinical import (
    DischargeFollowUpMade,
    PersonAdmitted,
    PersonDischarged,
    PersonReadmitted,
)
from domain.events.consent import (
    ConsentGranted,
    ConsentRefused,
    ConsentWithdrawn,
    DisclosurePreferenceRecorded,
    InformationShared,
    LegalBasisRecorded,
)
from domain.events.deadlines import DeadlineMissed, EscalationRaised
from domain.events.employment import (
    EmployerContacted,
    EmploymentSpecialistAssigned,
    FollowAlongContactMade,
    FollowAlongEnded,
    IpsEnrolled,
    JobEnded,
    JobOfferDeclined,
    JobOfferReceived,
    JobSearchStarted,
    JobStarted,
    ReturnedToWork,
    SickLeaveStarted,
    VocationalProfileCompleted,
)
from domain.events.gaps import SupportGapBridged, SupportGapClosed, SupportGapOpened
from domain.events.handover import (
    FirstContactMade,
    HandoverAccepted,
    HandoverAcknowledged,
    HandoverCompleted,
    HandoverDeclined,
    HandoverFailed,
    HandoverMeetingHeld,
    HandoverPutOnHold,
    HandoverRedirected,
    HandoverRequested,
    HandoverResumed,
    HandoverWithdrawn,
    OutreachAttemptRecorded,
)
from domain.events.pathway import (
    CoordinatorAssigned,
    CoordinatorReassigned,
    PathwayClosed,
    PathwayOpened,
    PathwayPaused,
    PathwayResumed,
    ServiceEnded,
    SupervisorAssigned,
    TrackEnded,
    TrackStarted,
    WorkAspirationRecorded,
)

EVENT_CLASSES: tuple[type[Event], ...] = (
    PathwayOpened,
    CoordinatorAssigned,
    CoordinatorReassigned,
    SupervisorAssigned,
    TrackStarted,
    TrackEnded,
    ServiceEnded,
    PathwayPaused,
    PathwayResumed,
    PathwayClosed,
    WorkAspirationRecorded,
    HandoverRequested,
    HandoverAcknowledged,
    HandoverAccepted,
    HandoverDeclined,
    HandoverRedirected,
    HandoverWithdrawn,
    HandoverPutOnHold,
    HandoverResumed,
    HandoverMeetingHeld,
    FirstContactMade,
    HandoverCompleted,
    OutreachAttemptRecorded,
    HandoverFailed,
    PersonAdmitted,
    PersonReadmitted,
    PersonDischarged,
    DischargeFollowUpMade,
    SupportGapOpened,
    SupportGapBridged,
    SupportGapClosed,
    ConsentGranted,
    ConsentRefused,
    ConsentWithdrawn,
    LegalBasisRecorded,
    InformationShared,
    DisclosurePreferenceRecorded,
    IpsEnrolled,
    EmploymentSpecialistAssigned,
    VocationalProfileCompleted,
    JobSearchStarted,
    EmployerContacted,
    JobOfferReceived,
    JobOfferDeclined,
    JobStarted,
    FollowAlongContactMade,
    SickLeaveStarted,
    ReturnedToWork,
    JobEnded,
    FollowAlongEnded,
    BenefitDecisionRecorded,
    EmploymentContinuationDecisionRequired,
    EmploymentTrackContinuationDecided,
    FundingPeriodRecorded,
    FundingReviewed,
    DeadlineMissed,
    EscalationRaised,
)

AnyEvent = Annotated[
    PathwayOpened
    | CoordinatorAssigned
    | CoordinatorReassigned
    | SupervisorAssigned
    | TrackStarted
    | TrackEnded
    | ServiceEnded
    | PathwayPaused
    | PathwayResumed
    | PathwayClosed
    | WorkAspirationRecorded
    | HandoverRequested
    | HandoverAcknowledged
    | HandoverAccepted
    | HandoverDeclined
    | HandoverRedirected
    | HandoverWithdrawn
    | HandoverPutOnHold
    | HandoverResumed
    | HandoverMeetingHeld
    | FirstContactMade
    | HandoverCompleted
    | OutreachAttemptRecorded
    | HandoverFailed
    | PersonAdmitted
    | PersonReadmitted
    | PersonDischarged
    | DischargeFollowUpMade
    | SupportGapOpened
    | SupportGapBridged
    | SupportGapClosed
    | ConsentGranted
    | ConsentRefused
    | ConsentWithdrawn
    | LegalBasisRecorded
    | InformationShared
    | DisclosurePreferenceRecorded
    | IpsEnrolled
    | EmploymentSpecialistAssigned
    | VocationalProfileCompleted
    | JobSearchStarted
    | EmployerContacted
    | JobOfferReceived
    | JobOfferDeclined
    | JobStarted
    | FollowAlongContactMade
    | SickLeaveStarted
    | ReturnedToWork
    | JobEnded
    | FollowAlongEnded
    | BenefitDecisionRecorded
    | EmploymentContinuationDecisionRequired
    | EmploymentTrackContinuationDecided
    | FundingPeriodRecorded
    | FundingReviewed
    | DeadlineMissed
    | EscalationRaised,
    Field(discriminator="type"),
]
"""Any event, discriminated by ``type`` (for pydantic validation and Temporal payloads)."""

__all__ = [
    "EVENT_CLASSES",
    "AnyEvent",
    "BenefitDecisionRecorded",
    "ConsentGranted",
    "ConsentRefused",
    "ConsentWithdrawn",
    "CoordinatorAssigned",
    "CoordinatorReassigned",
    "DeadlineMissed",
    "DischargeFollowUpMade",
    "DisclosurePreferenceRecorded",
    "EmployerContacted",
    "EmploymentContinuationDecisionRequired",
    "EmploymentSpecialistAssigned",
    "EmploymentTrackContinuationDecided",
    "EscalationRaised",
    "Event",
    "FirstContactMade",
    "FollowAlongContactMade",
    "FollowAlongEnded",
    "FundingPeriodRecorded",
    "FundingReviewed",
    "HandoverAccepted",
    "HandoverAcknowledged",
    "HandoverCompleted",
    "HandoverDeclined",
    "HandoverFailed",
    "HandoverMeetingHeld",
    "HandoverPutOnHold",
    "HandoverRedirected",
    "HandoverRequested",
    "HandoverResumed",
    "HandoverWithdrawn",
    "InformationShared",
    "IpsEnrolled",
    "JobEnded",
    "JobOfferDeclined",
    "JobOfferReceived",
    "JobSearchStarted",
    "JobStarted",
    "LegalBasisRecorded",
    "OutreachAttemptRecorded",
    "PathwayClosed",
    "PathwayOpened",
    "PathwayPaused",
    "PathwayResumed",
    "PersonAdmitted",
    "PersonDischarged",
    "PersonReadmitted",
    "ReturnedToWork",
    "ServiceEnded",
    "SickLeaveStarted",
    "SupervisorAssigned",
    "SupportGapBridged",
    "SupportGapClosed",
    "SupportGapOpened",
    "TrackEnded",
    "TrackStarted",
    "VocationalProfileCompleted",
    "WorkAspirationRecorded",
]
