"""The command a fired timer turns into."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from domain.commands.base import Command
from domain.escalation import DeadlineKind
from domain.ids import SubjectId


class MarkDeadlineMissed(Command):
    """Report that a deadline from ``next_deadlines`` passed; decides the escalation events.

    A deadline that no longer applies (the step happened meanwhile) decides no events, so a timer
    that fires late is harmless.
    """

    type: Literal["MarkDeadlineMissed"] = "MarkDeadlineMissed"
    kind: DeadlineKind
    subject: SubjectId
    escalation_level: int = Field(ge=1, le=2)
