"""Checks shared by the decision rules; each raises a ``DomainError`` with a precise message."""

from __future__ import annotations

from collections.abc import Collection

from domain.errors import InvalidTransitionError, PathwayStateError, UnknownEntityError
from domain.handover import Handover, HandoverStatus
from domain.state import PathwayState, PathwayStatus


def require_live(state: PathwayState) -> None:
    """The pathway must be open (active or paused)."""
    if state.status is PathwayStatus.NEW:
        raise PathwayStateError(f"pathway {state.pathway_id} is not open")
    if state.status is PathwayStatus.CLOSED:
        raise PathwayStateError(f"pathway {state.pathway_id} is closed")


def require_handover(state: PathwayState, handover_id: str) -> Handover:
    """The handover must exist in this pathway."""
    handover = state.handovers.get(handover_id)
    if handover is None:
        raise UnknownEntityError(f"pathway {state.pathway_id} has no handover {handover_id}")
    return handover


def require_handover_status(
    handover: Handover, allowed: Collection[HandoverStatus], awaiting: str
) -> None:
    """The handover must be in one of ``allowed``; ``awaiting`` names the step in the message."""
    if handover.status not in allowed:
        hold = f", {handover.hold_reason.value}" if handover.hold_reason else ""
        raise InvalidTransitionError(
            f"handover {handover.handover_id} is not {awaiting} "
            f"(status: {handover.status.value}{hold})"
        )
