"""A handover: a closed-loop transfer of one responsibility from a sender to a receiver.

The sender stays responsible until the receiver has accepted *and* made first contact; a declined or
failed handover must be redirected or escalated and can never just end. Statuses map onto FHIR Task
statuses so agencies' systems can follow a handover as a Task (see ``fhir_task_status``).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict

from domain.clock import Interval
from domain.ids import ConsentId, HandoverId, OrgId, WorkerId
from domain.tracks import Responsibility


class HandoverStatus(StrEnum):
    """Where a handover is in its closed loop."""

    REQUESTED = "requested"
    ACKNOWLEDGED = "acknowledged"
    ACCEPTED = "accepted"
    AWAITING_MEETING = "awaiting_meeting"  # first contact made, warm-handover meeting still due
    COMPLETED = "completed"
    DECLINED = "declined"
    FAILED = "failed"
    REDIRECTED = "redirected"
    WITHDRAWN = "withdrawn"
    ON_HOLD = "on_hold"


IN_FLIGHT = frozenset(
    {HandoverStatus.REQUESTED, HandoverStatus.ACKNOWLEDGED, HandoverStatus.ACCEPTED}
)
"""Statuses in which the receiver still owes a step and the SLA clocks run."""

NEEDS_RESOLUTION = frozenset({HandoverStatus.DECLINED, HandoverStatus.FAILED})
"""Statuses that must be followed by a redirect or an escalation."""

OPEN = IN_FLIGHT | NEEDS_RESOLUTION | {HandoverStatus.ON_HOLD}
"""Statuses in which the handover still blocks another handover of the same responsibility."""

RECEIVER_TAKES_PART = frozenset(
    {
        HandoverStatus.REQUESTED,
        HandoverStatus.ACKNOWLEDGED,
        HandoverStatus.ACCEPTED,
        HandoverStatus.AWAITING_MEETING,
        HandoverStatus.ON_HOLD,
    }
)
"""A receiver takes part while it owes a step (not once it declined, failed or was bypassed)."""

SENDER_TAKES_PART = RECEIVER_TAKES_PART | NEEDS_RESOLUTION
"""A sender takes part until the loop is closed, and must resolve a decline."""

_FHIR_TASK_STATUS = {
    HandoverStatus.REQUESTED: "requested",
    HandoverStatus.ACKNOWLEDGED: "received",
    HandoverStatus.ACCEPTED: "accepted",
    HandoverStatus.AWAITING_MEETING: "in-progress",
    HandoverStatus.COMPLETED: "completed",
    HandoverStatus.DECLINED: "rejected",
    HandoverStatus.FAILED: "failed",
    HandoverStatus.REDIRECTED: "rejected",
    HandoverStatus.WITHDRAWN: "cancelled",
    HandoverStatus.ON_HOLD: "on-hold",
}


def fhir_task_status(status: HandoverStatus) -> str:
    """Return the FHIR Task.status code for a handover status (anchors-domain 3.3)."""
    return _FHIR_TASK_STATUS[status]


class HoldReason(StrEnum):
    """Why a handover is on hold."""

    READMITTED = "readmitted"
    CONSENT_WITHDRAWN = "consent_withdrawn"


class DeclineReason(StrEnum):
    """Reason codes a receiver may give for declining (R-06)."""

    NO_CAPACITY = "no_capacity"
    OUT_OF_AREA = "out_of_area"
    NOT_ELIGIBLE = "not_eligible"
    WRONG_SERVICE = "wrong_service"
    NOT_JOB_READY = "not_job_ready"  # refused for the employment track: IPS zero exclusion
    PERSON_DECLINED_SERVICE = "person_declined_service"
    OTHER = "other"
    UNSPECIFIED = "unspecified"  # only from upcasted schema v1 events


class FailReason(StrEnum):
    """Reason codes for a handover that failed after outreach."""

    NO_CONTACT_AFTER_OUTREACH = "no_contact_after_outreach"
    PERSON_MOVED = "person_moved"
    OTHER = "other"


class Handover(BaseModel):
    """One handover inside a pathway (state, not an event)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    handover_id: HandoverId
    responsibility: Responsibility
    from_org: OrgId
    to_org: OrgId
    to_worker: WorkerId | None = None
    route_id: str | None = None
    consent_id: ConsentId | None = None
    warm_handover_required: bool = False
    status: HandoverStatus = HandoverStatus.REQUESTED
    requested_at: AwareDatetime
    acknowledged_at: AwareDatetime | None = None
    accepted_at: AwareDatetime | None = None
    first_contact_at: AwareDatetime | None = None
    completed_at: AwareDatetime | None = None
    resolution_started_at: AwareDatetime | None = None  # declined or failed at
    decline_reason: DeclineReason | None = None
    fail_reason: FailReason | None = None
    meeting_held: bool = False
    outreach_attempts: int = 0
    hold_reason: HoldReason | None = None
    status_before_hold: HandoverStatus | None = None
    holds: tuple[Interval, ...] = ()
    redirected_from: HandoverId | None = None
    redirected_to: HandoverId | None = None
    escalation_level: int = 0

    @property
    def is_open(self) -> bool:
        """True while the handover still owes a step or a resolution."""
        return self.status in OPEN

    @property
    def unresolved(self) -> bool:
        """True when declined or failed and not yet redirected or escalated."""
        return self.status in NEEDS_RESOLUTION and self.escalation_level == 0
