"""The event envelope: what callers append and what readers get back."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

ERASED = "[erased]"
"""The value a personal field reads back as once its subject's data key is destroyed."""


class EventMetadata(BaseModel, frozen=True):
    """Who and what caused an event. Holds pseudonymous ids only, never names."""

    actor: str = Field(min_length=1)
    causation_id: UUID | None = None
    correlation_id: UUID | None = None
    trace_id: str | None = None


class NewEvent(BaseModel, frozen=True):
    """An event to append.

    ``event_id`` is the idempotency key: the workflow derives it deterministically, so appending the
    same event again (an activity retry) writes nothing and returns the original positions.
    ``personal_fields`` names top-level payload keys holding personal data; they are encrypted
    under ``subject_id``'s data key before they leave the process.
    """

    event_id: UUID
    type: str = Field(min_length=1)
    schema_version: int = Field(default=1, ge=1)
    payload: dict[str, Any]
    metadata: EventMetadata
    subject_id: str | None = None
    personal_fields: frozenset[str] = frozenset()


class RecordedEvent(BaseModel, frozen=True):
    """An event as stored, with personal fields decrypted (or ``ERASED``) and payload upcast.

    ``position`` is unique across the store. The global read order is commit order (see
    ``PostgresEventStore.read_all``), in which positions are not always increasing, so a reader's
    checkpoint is the position of the last event it handled, not a "high-water mark".
    """

    event_id: UUID
    stream_id: str
    version: int
    position: int
    type: str
    schema_version: int
    payload: dict[str, Any]
    metadata: EventMetadata
    recorded_at: datetime
    subject_id: str | None


class AppendResult(BaseModel, frozen=True):
    """Where an append's events landed (the original places when the append was a replay)."""

    stream_id: str
    first_version: int
    last_version: int
    positions: list[int]
