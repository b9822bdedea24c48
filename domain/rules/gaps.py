"""Support-gap rules: gaps open at discharge or service end and close at the next first contact."""

from __future__ import annotations

from domain.commands import BridgeSupportGap
from domain.deadline_keys import clear_escalation
from domain.errors import InvalidTransitionError, UnknownEntityError
from domain.escalation import DeadlineKind
from domain.events import Event, SupportGapBridged, SupportGapClosed, SupportGapOpened
from domain.gaps import SupportGap
from domain.rules.context import Applier, Context, Decider, replace_item
from domain.rules.guards import require_live
from domain.state import PathwayState


def _bridge(state: PathwayState, command: BridgeSupportGap, ctx: Context) -> list[Event]:
    require_live(state)
    gap = state.gaps.get(command.gap_id)
    if gap is None:
        raise UnknownEntityError(f"pathway {state.pathway_id} has no support gap {command.gap_id}")
    if not gap.is_open:
        raise InvalidTransitionError(f"support gap {gap.gap_id} is already closed")
    return [SupportGapBridged(**ctx.stamp(), gap_id=gap.gap_id, by_role=command.by_role)]


DECIDERS: dict[type, Decider] = {BridgeSupportGap: _bridge}


def _opened(state: PathwayState, event: SupportGapOpened) -> PathwayState:
    gap = SupportGap(
        gap_id=event.gap_id, trigger=event.trigger, track=event.track, opened_at=event.occurred_at
    )
    return state.model_copy(update={"gaps": replace_item(state.gaps, gap.gap_id, gap)})


def _bridged(state: PathwayState, event: SupportGapBridged) -> PathwayState:
    gap = state.gaps[event.gap_id]
    gap = gap.model_copy(update={"bridges": gap.bridges + 1, "last_bridged_at": event.occurred_at})
    state = clear_escalation(state, DeadlineKind.SUPPORT_GAP_BRIDGING, gap.gap_id)
    return state.model_copy(update={"gaps": replace_item(state.gaps, gap.gap_id, gap)})


def _closed(state: PathwayState, event: SupportGapClosed) -> PathwayState:
    gap = state.gaps[event.gap_id].model_copy(
        update={"closed_at": event.occurred_at, "duration": event.duration}
    )
    return state.model_copy(update={"gaps": replace_item(state.gaps, gap.gap_id, gap)})


APPLIERS: dict[type, Applier] = {
    SupportGapOpened: _opened,
    SupportGapBridged: _bridged,
    SupportGapClosed: _closed,
}
