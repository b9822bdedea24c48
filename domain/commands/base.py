"""The base of every command."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from domain.ids import ActorId


class Command(BaseModel):
    """An imperative request to change a pathway. ``decide`` turns it into events or refuses it.

    ``actor`` is the pseudonymous id of whoever issues it (case worker, agency system, ``system``
    for timers); it is copied onto every event decided from the command.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: str
    actor: ActorId
