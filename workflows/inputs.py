"""Typed inputs and results of the pathway workflow, shared with clients (one model per message)."""

from __future__ import annotations

from pydantic import BaseModel, Field

PATHWAY_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{2,63}$"


def workflow_id(pathway_id: str) -> str:
    """The workflow id of a pathway: derived from its pseudonymous id, never from personal data."""
    return f"pathway-{pathway_id}"


def stream_id(pathway_id: str) -> str:
    """The event-store stream of a pathway."""
    return f"pathway-{pathway_id}"


class OpenPathwayInput(BaseModel, frozen=True):
    """Start a pathway for one (pseudonymous) person."""

    pathway_id: str = Field(pattern=PATHWAY_ID_PATTERN)
    jurisdiction: str = Field(min_length=2)
    coordinator_id: str = Field(min_length=1)
    origin_org: str = Field(min_length=1)
    actor: str = Field(min_length=1)


class RequestHandoverInput(BaseModel, frozen=True):
    """Ask ``to_org`` to take over ``track`` from its current responsible organisation."""

    handover_id: str = Field(min_length=1)
    track: str = Field(min_length=1)
    to_org: str = Field(min_length=1)
    actor: str = Field(min_length=1)


class HandoverStepInput(BaseModel, frozen=True):
    """A step on an existing handover, taken by ``actor`` of the receiving organisation."""

    handover_id: str = Field(min_length=1)
    actor: str = Field(min_length=1)


class ClosePathwayInput(BaseModel, frozen=True):
    """Close the pathway with a reason code."""

    reason: str = Field(min_length=1)
    actor: str = Field(min_length=1)


class HandoverView(BaseModel, frozen=True):
    """A handover as the pathway sees it."""

    handover_id: str
    track: str
    from_org: str
    to_org: str
    status: str


class PathwaySnapshot(BaseModel, frozen=True):
    """The pathway's state as a query or the workflow's result returns it."""

    pathway_id: str
    status: str
    coordinator_id: str
    responsible: dict[str, str]
    handovers: list[HandoverView]
    stream_version: int
