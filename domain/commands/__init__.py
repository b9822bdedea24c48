"""All commands, and ``AnyCommand``: the discriminated union over their ``type``."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from domain.commands.base import Command
from domain.commands.benefits import (
    DecideEmploymentContinuation,
    RecordBenefitDecision,
    RecordFundingPeriod,
    ReviewFunding,
)
from domain.commands.clinical import (
    RecordAdmission,
    RecordDischarge,
    RecordDischargeFollowUp,
)
from domain.commands.consent import (
    GrantConsent,
    RecordDisclosurePreference,
    RecordLegalBasis,
    RefuseConsent,
    ShareInformation,
    WithdrawConsent,
)
from domain.commands.deadlines import (
    MarkDeadlineMissed,
)
from domain.commands.employment import (
    AssignEmploymentSpecialist,
    CompleteVocationalProfile,
    DeclineJobOffer,
    EndFollowAlong,
    EndJob,
    EnrolInIps,
    RecordEmployerContact,
    RecordFollowAlongContact,
    RecordJobOffer,
    ReturnToWork,
    StartJob,
    StartJobSearch,
    StartSickLeave,
)
from domain.commands.gaps import (
    BridgeSupportGap,
)
from domain.commands.handover import (
    AcceptHandover,
    AcknowledgeHandover,
    DeclineHandover,
    EscalateHandover,
    FailHandover,
    RecordFirstContact,
    RecordHandoverMeeting,
    RecordOutreachAttempt,
    RedirectHandover,
    RequestHandover,
    ResumeHandover,
    WithdrawHandover,
)
from domain.commands.pathway import (
    AssignSupervisor,
    ClosePathway,
    EndTrack,
    OpenPathway,
    PausePathway,
    RecordServiceEnded,
    RecordWorkAspiration,
    ReplaceCoordinator,
    ResumePathway,
    StartTrack,
)

COMMAND_CLASSES: tuple[type[Command], ...] = (
    OpenPathway,
    ReplaceCoordinator,
    AssignSupervisor,
    StartTrack,
    EndTrack,
    RecordServiceEnded,
    PausePathway,
    ResumePathway,
    ClosePathway,
    RecordWorkAspiration,
    RequestHandover,
    AcknowledgeHandover,
    AcceptHandover,
    DeclineHandover,
    RedirectHandover,
    EscalateHandover,
    WithdrawHandover,
    RecordHandoverMeeting,
    RecordFirstContact,
    RecordOutreachAttempt,
    FailHandover,
    ResumeHandover,
    RecordAdmission,
    RecordDischarge,
    RecordDischargeFollowUp,
    BridgeSupportGap,
    GrantConsent,
    RefuseConsent,
    WithdrawConsent,
    RecordLegalBasis,
    ShareInformation,
    RecordDisclosurePreference,
    EnrolInIps,
    AssignEmploymentSpecialist,
    CompleteVocationalProfile,
    StartJobSearch,
    RecordEmployerContact,
    RecordJobOffer,
    DeclineJobOffer,
    StartJob,
    RecordFollowAlongContact,
    StartSickLeave,
    ReturnToWork,
    EndJob,
    EndFollowAlong,
    RecordBenefitDecision,
    DecideEmploymentContinuation,
    RecordFundingPeriod,
    ReviewFunding,
    MarkDeadlineMissed,
)

AnyCommand = Annotated[
    OpenPathway
    | ReplaceCoordinator
    | AssignSupervisor
    | StartTrack
    | EndTrack
    | RecordServiceEnded
    | PausePathway
    | ResumePathway
    | ClosePathway
    | RecordWorkAspiration
    | RequestHandover
    | AcknowledgeHandover
    | AcceptHandover
    | DeclineHandover
    | RedirectHandover
    | EscalateHandover
    | WithdrawHandover
    | RecordHandoverMeeting
    | RecordFirstContact
    | RecordOutreachAttempt
    | FailHandover
    | ResumeHandover
    | RecordAdmission
    | RecordDischarge
    | RecordDischargeFollowUp
    | BridgeSupportGap
    | GrantConsent
    | RefuseConsent
    | WithdrawConsent
    | RecordLegalBasis
    | ShareInformation
    | RecordDisclosurePreference
    | EnrolInIps
    | AssignEmploymentSpecialist
    | CompleteVocationalProfile
    | StartJobSearch
    | RecordEmployerContact
    | RecordJobOffer
    | DeclineJobOffer
    | StartJob
    | RecordFollowAlongContact
    | StartSickLeave
    | ReturnToWork
    | EndJob
    | EndFollowAlong
    | RecordBenefitDecision
    | DecideEmploymentContinuation
    | RecordFundingPeriod
    | ReviewFunding
    | MarkDeadlineMissed,
    Field(discriminator="type"),
]
"""Any command, discriminated by ``type`` (the workflow's update payload)."""

__all__ = [
    "COMMAND_CLASSES",
    "AcceptHandover",
    "AcknowledgeHandover",
    "AnyCommand",
    "AssignEmploymentSpecialist",
    "AssignSupervisor",
    "BridgeSupportGap",
    "ClosePathway",
    "Command",
    "CompleteVocationalProfile",
    "DecideEmploymentContinuation",
    "DeclineHandover",
    "DeclineJobOffer",
    "EndFollowAlong",
    "EndJob",
    "EndTrack",
    "EnrolInIps",
    "EscalateHandover",
    "FailHandover",
    "GrantConsent",
    "MarkDeadlineMissed",
    "OpenPathway",
    "PausePathway",
    "RecordAdmission",
    "RecordBenefitDecision",
    "RecordDischarge",
    "RecordDischargeFollowUp",
    "RecordDisclosurePreference",
    "RecordEmployerContact",
    "RecordFirstContact",
    "RecordFollowAlongContact",
    "RecordFundingPeriod",
    "RecordHandoverMeeting",
    "RecordJobOffer",
    "RecordLegalBasis",
    "RecordOutreachAttempt",
    "RecordServiceEnded",
    "RecordWorkAspiration",
    "RedirectHandover",
    "RefuseConsent",
    "ReplaceCoordinator",
    "RequestHandover",
    "ResumeHandover",
    "ResumePathway",
    "ReturnToWork",
    "ReviewFunding",
    "ShareInformation",
    "StartJob",
    "StartJobSearch",
    "StartSickLeave",
    "StartTrack",
    "WithdrawConsent",
    "WithdrawHandover",
]
