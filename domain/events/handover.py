"""Events of the closed-loop handover process."""

from __future__ import annotations

from typing import ClassVar, Literal

from domain.events.base import Event
from domain.handover import DeclineReason, FailReason, HoldReason
from domain.ids import ConsentId, HandoverId, OrgId, WorkerId
from domain.personal import OptionalPersonalText
from domain.tracks import Responsibility


class HandoverRequested(Event):
    """A sender asked a receiver to take over a responsibility (FHIR Task: requested)."""

    type: Literal["HandoverRequested"] = "HandoverRequested"
    handover_id: HandoverId
    responsibility: Responsibility
    from_org: OrgId
    to_org: OrgId
    to_worker: WorkerId | None = None
    route_id: str | None = None
    consent_id: ConsentId | None = None
    warm_handover_required: bool = False
    redirected_from: HandoverId | None = None
    note: OptionalPersonalText = None


class HandoverAcknowledged(Event):
    """The receiver confirmed receipt (FHIR Task: received)."""

    type: Literal["HandoverAcknowledged"] = "HandoverAcknowledged"
    handover_id: HandoverId
    by_org: OrgId


class HandoverAccepted(Event):
    """The receiver agreed to take over (FHIR Task: accepted); the sender is still responsible."""

    type: Literal["HandoverAccepted"] = "HandoverAccepted"
    handover_id: HandoverId
    by_org: OrgId


class HandoverDeclined(Event):
    """The receiver declined with a reason code; a redirect or escalation must follow.

    Schema history: v1 had a single free-text ``reason``; v2 splits it into ``reason_code`` and
    the personal ``reason_text`` (see ``domain.upcasting``).
    """

    schema_version: ClassVar[int] = 2

    type: Literal["HandoverDeclined"] = "HandoverDeclined"
    handover_id: HandoverId
    by_org: OrgId
    reason_code: DeclineReason
    reason_text: OptionalPersonalText = None


class HandoverRedirected(Event):
    """A declined or failed handover was sent on to another receiver as a new handover."""

    type: Literal["HandoverRedirected"] = "HandoverRedirected"
    handover_id: HandoverId
    new_handover_id: HandoverId
    to_org: OrgId


class HandoverWithdrawn(Event):
    """The person withdrew the handover before first contact (FHIR Task: cancelled)."""

    type: Literal["HandoverWithdrawn"] = "HandoverWithdrawn"
    handover_id: HandoverId
    reason_text: OptionalPersonalText = None


class HandoverPutOnHold(Event):
    """The handover's clocks stopped (readmission, consent withdrawn) (FHIR Task: on-hold)."""

    type: Literal["HandoverPutOnHold"] = "HandoverPutOnHold"
    handover_id: HandoverId
    reason: HoldReason


class HandoverResumed(Event):
    """The handover continues where it was put on hold."""

    type: Literal["HandoverResumed"] = "HandoverResumed"
    handover_id: HandoverId
    consent_id: ConsentId | None = None  # the consent it now relies on, after a withdrawal


class HandoverMeetingHeld(Event):
    """A warm-handover meeting took place (R-08): roles only, no names."""

    type: Literal["HandoverMeetingHeld"] = "HandoverMeetingHeld"
    handover_id: HandoverId
    participant_roles: tuple[str, ...]
    person_present: bool


class FirstContactMade(Event):
    """The receiving service started: responsibility moves from sender to receiver."""

    type: Literal["FirstContactMade"] = "FirstContactMade"
    handover_id: HandoverId
    by_org: OrgId
    by_worker: WorkerId | None = None


class HandoverCompleted(Event):
    """The loop is closed: accepted, first contact made, warm meeting held when required."""

    type: Literal["HandoverCompleted"] = "HandoverCompleted"
    handover_id: HandoverId


class OutreachAttemptRecorded(Event):
    """The receiver tried to reach the person for first contact."""

    type: Literal["OutreachAttemptRecorded"] = "OutreachAttemptRecorded"
    handover_id: HandoverId
    channel: str


class HandoverFailed(Event):
    """No first contact after the recorded outreach; a redirect or escalation must follow."""

    type: Literal["HandoverFailed"] = "HandoverFailed"
    handover_id: HandoverId
    reason_code: FailReason
