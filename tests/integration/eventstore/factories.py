"""Small builders for events in tests."""

from __future__ import annotations

import uuid
from typing import Any

from eventstore import EventMetadata, NewEvent


def new_event(
    event_type: str = "ThingHappened",
    *,
    subject_id: str | None = None,
    personal: frozenset[str] = frozenset(),
    schema_version: int = 1,
    actor: str = "actor-1",
    **payload: Any,
) -> NewEvent:
    """An event with a fresh id and ``payload`` as given."""
    return NewEvent(
        event_id=uuid.uuid4(),
        type=event_type,
        schema_version=schema_version,
        payload=payload,
        metadata=EventMetadata(actor=actor, correlation_id=uuid.uuid4(), trace_id="t" * 32),
        subject_id=subject_id,
        personal_fields=personal,
    )


def stream_name() -> str:
    """A stream id shaped like the product's."""
    return f"pathway-{uuid.uuid4()}"
