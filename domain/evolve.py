"""``evolve`` and ``fold``: applying events to state. Replay is ``fold``.

``evolve`` trusts its events (they were decided or read from the store); it never refuses one.
``fold(events) == state`` holds for any state built step by step from the same events.
"""

from __future__ import annotations

from collections.abc import Iterable

from domain.events import Event
from domain.rules import benefits, clinical, consent, deadlines, employment, gaps, handover, pathway
from domain.rules.context import Applier
from domain.state import PathwayState

APPLIERS: dict[type, Applier] = {
    **pathway.APPLIERS,
    **handover.APPLIERS,
    **clinical.APPLIERS,
    **gaps.APPLIERS,
    **consent.APPLIERS,
    **employment.APPLIERS,
    **benefits.APPLIERS,
    **deadlines.APPLIERS,
}


def evolve(state: PathwayState, event: Event) -> PathwayState:
    """Return the state after one event (the input state is unchanged).

    Raises:
        ValueError: the event belongs to another pathway or its type is unknown.
    """
    if event.pathway_id != state.pathway_id:
        raise ValueError(
            f"event {event.event_id} belongs to pathway {event.pathway_id}, not {state.pathway_id}"
        )
    applier = APPLIERS.get(type(event))
    if applier is None:
        raise ValueError(f"no rule applies event type {type(event).__name__}")
    new_state = applier(state, event)
    return new_state.model_copy(update={"version": state.version + 1})


def fold(events: Iterable[Event], state: PathwayState | None = None) -> PathwayState:
    """Fold events into a state, starting from ``state`` or from a new pathway.

    Raises:
        ValueError: no start state and no events (the pathway id is unknown).
    """
    current = state
    for event in events:
        if current is None:
            current = PathwayState.new(event.pathway_id)
        current = evolve(current, event)
    if current is None:
        raise ValueError("fold needs a start state or at least one event")
    return current
