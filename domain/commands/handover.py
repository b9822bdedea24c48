"""Commands of the handover process."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from domain.commands.base import Command
from domain.handover import DeclineReason, FailReason
from domain.ids import ConsentId, HandoverId, OrgId, WorkerId
from domain.text import Code, OptionalFreeText
from domain.tracks import Responsibility


class RequestHandover(Command):
    """Ask ``to_org`` to take over a responsibility; ``from_org`` stays responsible until then.

    ``handover_id`` may be chosen by the caller (idempotent API calls); otherwise one is derived
    from the id source. For ``coordination``, ``to_worker`` names the new coordinator.
    """

    type: Literal["RequestHandover"] = "RequestHandover"
    handover_id: HandoverId | None = None
    responsibility: Responsibility
    from_org: OrgId
    to_org: OrgId
    to_worker: WorkerId | None = None
    route_id: Code | None = None
    consent_id: ConsentId | None = None
    note: OptionalFreeText = None


class AcknowledgeHandover(Command):
    """The receiver confirms receipt."""

    type: Literal["AcknowledgeHandover"] = "AcknowledgeHandover"
    handover_id: HandoverId
    by_org: OrgId


class AcceptHandover(Command):
    """The receiver agrees to take over."""

    type: Literal["AcceptHandover"] = "AcceptHandover"
    handover_id: HandoverId
    by_org: OrgId


class DeclineHandover(Command):
    """The receiver declines, with a reason code."""

    type: Literal["DeclineHandover"] = "DeclineHandover"
    handover_id: HandoverId
    by_org: OrgId
    reason_code: DeclineReason
    reason_text: OptionalFreeText = None


class RedirectHandover(Command):
    """Send a declined or failed handover on to another receiver."""

    type: Literal["RedirectHandover"] = "RedirectHandover"
    handover_id: HandoverId
    to_org: OrgId
    to_worker: WorkerId | None = None
    route_id: Code | None = None
    new_handover_id: HandoverId | None = None


class EscalateHandover(Command):
    """Escalate a declined or failed handover one level by hand."""

    type: Literal["EscalateHandover"] = "EscalateHandover"
    handover_id: HandoverId


class WithdrawHandover(Command):
    """The person withdraws a handover before its first contact."""

    type: Literal["WithdrawHandover"] = "WithdrawHandover"
    handover_id: HandoverId
    reason_text: OptionalFreeText = None


class RecordHandoverMeeting(Command):
    """Record a warm-handover meeting (roles only)."""

    type: Literal["RecordHandoverMeeting"] = "RecordHandoverMeeting"
    handover_id: HandoverId
    participant_roles: tuple[Code, ...] = Field(max_length=20)
    person_present: bool


class RecordFirstContact(Command):
    """The receiver made first contact: responsibility moves to it."""

    type: Literal["RecordFirstContact"] = "RecordFirstContact"
    handover_id: HandoverId
    by_org: OrgId
    by_worker: WorkerId | None = None


class RecordOutreachAttempt(Command):
    """The receiver tried to reach the person."""

    type: Literal["RecordOutreachAttempt"] = "RecordOutreachAttempt"
    handover_id: HandoverId
    channel: Code


class FailHandover(Command):
    """Give up on first contact after the template's number of outreach attempts."""

    type: Literal["FailHandover"] = "FailHandover"
    handover_id: HandoverId
    reason_code: FailReason


class ResumeHandover(Command):
    """Take a handover off hold (consent given again)."""

    type: Literal["ResumeHandover"] = "ResumeHandover"
    handover_id: HandoverId
