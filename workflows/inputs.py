"""Typed inputs and results of the pathway workflow, shared with clients (one model per message)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from domain import AnyCommand, Deadline, JurisdictionTemplate, PathwayState
from domain.commands.pathway import OpenPathway

PATHWAY_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{2,63}$"


def workflow_id(pathway_id: str) -> str:
    """The workflow id of a pathway: derived from its pseudonymous id, never from personal data."""
    return f"pathway-{pathway_id}"


def stream_id(pathway_id: str) -> str:
    """The event-store stream of a pathway."""
    return f"pathway-{pathway_id}"


class CarriedState(BaseModel, frozen=True):
    """What one run hands to the next at continue-as-new."""

    state: PathwayState
    stream_version: int = Field(ge=0)
    fired_without_effect: list[str] = Field(default_factory=list)
    recent_updates: list[CarriedUpdate] = Field(default_factory=list)
    """Outcomes of the last updates, oldest first, so that a caller retrying one of them after
    continue-as-new gets its outcome instead of running the command again."""


class PathwayWorkflowInput(BaseModel, frozen=True):
    """Start (``open`` set) or continue (``carried`` set) one person's pathway.

    The jurisdiction template travels in the input, so the workflow never reads files and a
    running pathway keeps the template version it started under, even across continue-as-new.
    """

    pathway_id: str = Field(pattern=PATHWAY_ID_PATTERN)
    template: JurisdictionTemplate
    open: OpenPathway | None = None
    carried: CarriedState | None = None


class CommandRequest(BaseModel, frozen=True):
    """One domain command, sent as the ``execute`` update."""

    command: AnyCommand


class EventRef(BaseModel, frozen=True):
    """One appended event as a caller sees it: its type and the ids it names (pseudonymous)."""

    type: str
    ids: dict[str, str]


class CommandOutcome(BaseModel, frozen=True):
    """What a command changed: the events it appended and where the stream now stands."""

    events: list[EventRef]
    stream_version: int

    def first_id(self, event_type: str, field: str) -> str:
        """The id ``field`` of the first appended event of ``event_type``.

        Raises:
            LookupError: no such event or field in this outcome.
        """
        for event in self.events:
            if event.type == event_type and field in event.ids:
                return event.ids[field]
        raise LookupError(f"no {event_type}.{field} in {[e.type for e in self.events]}")


class CarriedUpdate(BaseModel, frozen=True):
    """One executed update, carried into the next run: its caller-chosen id and its outcome."""

    update_id: str
    outcome: CommandOutcome


class PathwaySummary(BaseModel, frozen=True):
    """The pathway as a query, or the workflow's result, returns it (pseudonymous ids only)."""

    pathway_id: str
    status: str
    coordinator_id: str | None
    responsible: dict[str, str]
    open_handovers: dict[str, str]
    open_gaps: int
    stream_version: int
    next_deadlines: list[Deadline]
    run_started_at: datetime | None = None


CarriedState.model_rebuild()
