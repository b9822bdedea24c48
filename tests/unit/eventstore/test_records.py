"""The fast ``RecordedEvent`` builder makes exactly what pydantic's ``model_construct`` makes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from eventstore.events import EventMetadata, RecordedEvent
from eventstore.records import recorded_event


def test_recorded_event_equals_model_construct_and_behaves_like_a_model() -> None:
    fields: dict[str, Any] = {
        "event_id": uuid.uuid4(),
        "stream_id": "pathway-1",
        "version": 3,
        "position": 42,
        "type": "TrackStarted",
        "schema_version": 1,
        "payload": {"track": "employment"},
        "metadata": EventMetadata(actor="worker-1"),
        "recorded_at": datetime(2025, 1, 1, tzinfo=UTC),
        "subject_id": None,
    }

    fast = recorded_event(**dict(fields))
    constructed = RecordedEvent.model_construct(**fields)

    assert fast == constructed
    assert fast.model_dump() == constructed.model_dump()
    assert fast.model_fields_set == constructed.model_fields_set
    assert fast.model_copy(update={"version": 4}).version == 4
