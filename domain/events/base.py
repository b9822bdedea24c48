"""The base of every event."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict

from domain.ids import ActorId, PathwayId


class Event(BaseModel):
    """A fact that happened to one pathway. Past tense, immutable, versioned.

    ``event_id`` comes from the id source handed to ``decide`` (``workflow.uuid4()`` in the
    workflow), so a retried append carries the same id. ``occurred_at`` is the ``now`` handed to
    ``decide``. ``actor`` is the pseudonymous id of whoever issued the command.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: ClassVar[int] = 1

    type: str
    event_id: UUID
    pathway_id: PathwayId
    occurred_at: AwareDatetime
    actor: ActorId
