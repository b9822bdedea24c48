"""Turning stored rows into ``RecordedEvent``s: decrypt personal fields, then upcast."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import asyncpg

from eventstore.events import EventMetadata, RecordedEvent
from eventstore.keys import KeyStore
from eventstore.personal_data import CIPHERTEXT_MARK, PersonalFieldReader
from eventstore.upcasting import UpcasterRegistry

EVENT_COLUMNS = """
    position, transaction_id, stream_id, version, event_id, type, schema_version,
    payload::text AS payload, metadata::text AS metadata, recorded_at, subject_id,
    personal_fields
"""
"""The columns every event read selects (payload and metadata as their exact stored text)."""

# Column indexes in EVENT_COLUMNS order: rows are read by index, which is cheaper than by name
# when a replay decodes a hundred thousand of them.
_POSITION, _STREAM_ID, _VERSION, _EVENT_ID, _TYPE, _SCHEMA_VERSION = 0, 2, 3, 4, 5, 6
_PAYLOAD, _METADATA, _RECORDED_AT, _SUBJECT_ID, _PERSONAL_FIELDS = 7, 8, 9, 10, 11
_RECORDED_FIELDS = frozenset(RecordedEvent.model_fields)


def recorded_event(**fields: Any) -> RecordedEvent:
    """Build a ``RecordedEvent`` from trusted, already typed values, without validation.

    Why not ``model_construct``: it costs about four times as much per event (defaults,
    aliases, a field walk), which dominated replay. This sets exactly what ``model_construct``
    sets; ``test_records`` checks the two stay equal.
    """
    event = RecordedEvent.__new__(RecordedEvent)
    object.__setattr__(event, "__dict__", fields)
    object.__setattr__(event, "__pydantic_fields_set__", set(_RECORDED_FIELDS))
    object.__setattr__(event, "__pydantic_extra__", None)
    object.__setattr__(event, "__pydantic_private__", None)
    return event


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a batch of rows becomes objects.

    Why: decoding allocates several tracked containers per event (model, ``__dict__``, payload
    dict), so the collector runs every few hundred events and re-scans the growing result; on a
    100,000-event replay that was half of the decoding time. The loop inside never awaits, so no
    other task runs while the collector is off (other threads do, for those milliseconds); a
    cycle made meanwhile (by an upcaster, say) is collected once it runs again, which it does as
    soon as the previous state is restored, even on error.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _uuid_or_none(value: Any) -> UUID | None:
    return None if value is None else UUID(value)


_loads = json.JSONDecoder().decode


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
        subjects = {row[_SUBJECT_ID] for row in rows if row[_PERSONAL_FIELDS]}
        keys = await self._keys.keys_for_reading(subjects) if subjects else {}
        # Events of one workflow run share their metadata text: parse each text once per batch.
        # EventMetadata is frozen, so sharing one instance between events is safe.
        metadata: dict[str, EventMetadata] = {}
        personal = PersonalFieldReader(keys)
        with collector_paused():
            return [self._decode_row(row, personal, metadata) for row in rows]

    def _decode_row(
        self,
        row: asyncpg.Record,
        personal: PersonalFieldReader,
        metadata: dict[str, EventMetadata],
    ) -> RecordedEvent:
        text: str = row[_PAYLOAD]
        payload: dict[str, Any] = _loads(text)
        subject_id: str | None = row[_SUBJECT_ID]
        if row[_PERSONAL_FIELDS] and subject_id is not None and CIPHERTEXT_MARK in text:
            payload = personal.reveal(
                payload, row[_PERSONAL_FIELDS], event_id=row[_EVENT_ID], subject_id=subject_id
            )
        schema_version: int = row[_SCHEMA_VERSION]
        if self._upcasters:
            schema_version, payload = self._upcasters.upcast(row[_TYPE], schema_version, payload)
        metadata_text: str = row[_METADATA]
        event_metadata = metadata.get(metadata_text)
        if event_metadata is None:
            event_metadata = metadata[metadata_text] = _metadata(metadata_text)
        return recorded_event(
            event_id=row[_EVENT_ID],
            stream_id=row[_STREAM_ID],
            version=row[_VERSION],
            position=row[_POSITION],
            type=row[_TYPE],
            schema_version=schema_version,
            payload=payload,
            metadata=event_metadata,
            recorded_at=row[_RECORDED_AT],
            subject_id=subject_id,
        )
