"""Turning stored rows into ``RecordedEvent``s: decrypt personal fields, then upcast."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg

from eventstore.events import EventMetadata, RecordedEvent
from eventstore.keys import KeyStore
from eventstore.personal_data import reveal_personal_fields
from eventstore.upcasting import UpcasterRegistry

EVENT_COLUMNS = """
    position, transaction_id, stream_id, version, event_id, type, schema_version,
    payload::text AS payload, metadata::text AS metadata, recorded_at, subject_id,
    personal_fields
"""
"""The columns every event read selects (payload and metadata as their exact stored text)."""


def _uuid_or_none(value: Any) -> UUID | None:
    return None if value is None else UUID(value)


def _metadata(text: str) -> EventMetadata:
    raw = json.loads(text)
    # Rows come from our own append, which validated the metadata: construct without
    # re-validating, converting only what JSON cannot carry.
    return EventMetadata.model_construct(
        actor=raw["actor"],
        causation_id=_uuid_or_none(raw.get("causation_id")),
        correlation_id=_uuid_or_none(raw.get("correlation_id")),
        trace_id=raw.get("trace_id"),
    )


class EventDecoder:
    """Decodes batches of rows selected with ``EVENT_COLUMNS``."""

    def __init__(self, keys: KeyStore, upcasters: UpcasterRegistry | None) -> None:
        self._keys = keys
        self._upcasters = upcasters

    async def decode(self, rows: Sequence[asyncpg.Record]) -> list[RecordedEvent]:
        """Decode ``rows`` in order, fetching the data keys they need in one call."""
        subjects = {row["subject_id"] for row in rows if row["personal_fields"]}
        keys = await self._keys.keys_for_reading(subjects) if subjects else {}
        return [self._decode_row(row, keys) for row in rows]

    def _decode_row(self, row: asyncpg.Record, keys: dict[str, bytes]) -> RecordedEvent:
        payload: dict[str, Any] = json.loads(row["payload"])
        subject_id: str | None = row["subject_id"]
        if row["personal_fields"] and subject_id is not None:
            payload = reveal_personal_fields(
                payload,
                row["personal_fields"],
                data_key=keys.get(subject_id),
                event_id=row["event_id"],
                subject_id=subject_id,
            )
        schema_version: int = row["schema_version"]
        if self._upcasters:
            schema_version, payload = self._upcasters.upcast(row["type"], schema_version, payload)
        return RecordedEvent.model_construct(
            event_id=row["event_id"],
            stream_id=row["stream_id"],
            version=row["version"],
            position=row["position"],
            type=row["type"],
            schema_version=schema_version,
            payload=payload,
            metadata=_metadata(row["metadata"]),
            recorded_at=row["recorded_at"],
            subject_id=subject_id,
        )
