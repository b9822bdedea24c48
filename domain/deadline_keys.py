"""Escalation bookkeeping in the state: which level each clock has reached."""

from __future__ import annotations

from domain.escalation import DeadlineKind, deadline_key
from domain.state import PathwayState


def escalation_level(state: PathwayState, kind: DeadlineKind, subject: str) -> int:
    """The highest level a clock has escalated to (0: never)."""
    return state.escalations.get(deadline_key(kind, subject), 0)


def clear_escalation(state: PathwayState, kind: DeadlineKind, subject: str) -> PathwayState:
    """Forget a clock's escalations because it restarted (a contact was made)."""
    key = deadline_key(kind, subject)
    if key not in state.escalations:
        return state
    return state.model_copy(
        update={"escalations": {k: v for k, v in state.escalations.items() if k != key}}
    )
