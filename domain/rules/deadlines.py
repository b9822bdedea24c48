"""Rules of missed deadlines: a miss escalates, first to the coordinator, then the supervisor.

A miss never ends anything: not a handover, not follow-along support, not a track.
"""

from __future__ import annotations

from domain.commands import MarkDeadlineMissed
from domain.deadlines import find_deadline
from domain.errors import DeadlineNotDueError
from domain.escalation import DeadlineKind, deadline_key
from domain.events import DeadlineMissed, EscalationRaised, Event
from domain.rules.context import Applier, Context, Decider, replace_item
from domain.rules.guards import require_live
from domain.rules.handover import escalation_target_id
from domain.state import PathwayState


def _missed(state: PathwayState, command: MarkDeadlineMissed, ctx: Context) -> list[Event]:
    require_live(state)
    deadline = find_deadline(
        state, ctx.template, command.kind, command.subject, command.escalation_level
    )
    if deadline is None:
        return []  # the step happened, or the level was reached already: a late timer is harmless
    if deadline.due_at > ctx.now:
        raise DeadlineNotDueError(
            f"{command.kind.value} for {command.subject} is due at {deadline.due_at.isoformat()}, "
            f"not yet at {ctx.now.isoformat()}"
        )
    return [
        DeadlineMissed(
            **ctx.stamp(),
            kind=deadline.kind,
            subject=deadline.subject,
            escalation_level=deadline.escalation_level,
            due_at=deadline.due_at,
        ),
        EscalationRaised(
            **ctx.stamp(),
            kind=deadline.kind,
            subject=deadline.subject,
            level=deadline.escalation_level,
            target_role=deadline.escalate_to,
            target_id=escalation_target_id(state, deadline.escalation_level),
        ),
    ]


DECIDERS: dict[type, Decider] = {MarkDeadlineMissed: _missed}


def _deadline_missed(state: PathwayState, event: DeadlineMissed) -> PathwayState:
    return state


def _escalated(state: PathwayState, event: EscalationRaised) -> PathwayState:
    if event.kind is not None:
        key = deadline_key(event.kind, event.subject)
        level = max(state.escalations.get(key, 0), event.level)
        state = state.model_copy(
            update={"escalations": replace_item(state.escalations, key, level)}
        )
    handover = state.handovers.get(event.subject)
    if handover is not None and event.kind in (None, DeadlineKind.HANDOVER_RESOLUTION):
        # Only the escalation of a decline or failure resolves it; SLA escalations do not.
        handover = handover.model_copy(
            update={"escalation_level": max(handover.escalation_level, event.level)}
        )
        state = state.model_copy(
            update={"handovers": replace_item(state.handovers, handover.handover_id, handover)}
        )
    return state


APPLIERS: dict[type, Applier] = {DeadlineMissed: _deadline_missed, EscalationRaised: _escalated}
