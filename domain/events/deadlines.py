"""Events of missed deadlines and escalation."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime

from domain.escalation import DeadlineKind, EscalationTarget
from domain.events.base import Event


class DeadlineMissed(Event):
    """A clock ran out before the step it watches happened."""

    type: Literal["DeadlineMissed"] = "DeadlineMissed"
    kind: DeadlineKind
    subject: str
    escalation_level: int
    due_at: AwareDatetime


class EscalationRaised(Event):
    """A missed deadline (or a coordinator) escalated: level 1 coordinator, level 2 supervisor."""

    type: Literal["EscalationRaised"] = "EscalationRaised"
    kind: DeadlineKind | None = None  # None: escalated by hand, not by a clock
    subject: str
    level: int
    target_role: EscalationTarget
    target_id: str
