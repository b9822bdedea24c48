"""What a decision needs besides state and command: template, time and an id source."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from domain.events import Event
from domain.ids import derived_id
from domain.state import PathwayState
from domain.templates import JurisdictionTemplate

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class Context:
    """Inputs of one decision that are not the state or the command."""

    template: JurisdictionTemplate
    now: datetime
    new_id: Callable[[], UUID]
    actor: str
    pathway_id: str

    def stamp(self) -> dict[str, Any]:
        """Envelope fields for the next event: a fresh id, the pathway, ``now`` and the actor."""
        return {
            "event_id": self.new_id(),
            "pathway_id": self.pathway_id,
            "occurred_at": self.now,
            "actor": self.actor,
        }

    def new_local_id(self, prefix: str) -> str:
        """A new short id for a thing inside the pathway (``h-…``, ``g-…``)."""
        return derived_id(prefix, self.new_id())


def replace_item(mapping: dict[K, V], key: K, value: V) -> dict[K, V]:
    """Copy-on-write: a new dict with one item set."""
    return {**mapping, key: value}


Decider = Callable[[PathwayState, Any, Context], list[Event]]
"""Decides one command class: ``(state, command, ctx) -> events``; raises ``DomainError``."""

Applier = Callable[[PathwayState, Any], PathwayState]
"""Evolves one event class: ``(state, event) -> state``. Never raises for a decided event."""
