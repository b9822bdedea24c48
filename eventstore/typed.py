"""Reading stored events straight into a reader's own typed models (``read_stream_typed``).

Why a second read path: a replay that wants domain events otherwise pays twice per event, once
for the store's generic ``RecordedEvent`` (JSON text -> dict) and once for the caller's model
(dict -> model). Here an event stored at its model's current schema version, with no ciphertext
in it, goes from its stored JSON text to the model in one call into pydantic's validator. Every
other event (an old schema version, personal fields to decrypt, a store upcaster to apply) takes
the general path: parse, decrypt, upcast, then the reader's ``upgrade`` function.

The event store stays generic: it knows the models only through the ``EventModels`` it is given.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, NamedTuple, TypeVar

import asyncpg
from pydantic import BaseModel, TypeAdapter

from eventstore.personal_data import CIPHERTEXT_MARK, PersonalFieldReader
from eventstore.records import collector_paused
from eventstore.upcasting import UpcasterRegistry

T = TypeVar("T")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_loads = json.JSONDecoder().decode

TYPED_COLUMNS = """
    version, position, type, schema_version, payload::text AS payload,
    (extract(epoch FROM recorded_at) * 1000000)::bigint AS recorded_micros,
    CASE WHEN cardinality(personal_fields) > 0 THEN personal_fields END AS personal_fields,
    CASE WHEN cardinality(personal_fields) > 0 THEN event_id END AS event_id,
    CASE WHEN cardinality(personal_fields) > 0 THEN subject_id END AS subject_id
"""
"""The columns a typed read selects.

Why so few, and why the ``CASE``s: decoding a row costs per column, and a timestamp or a UUID
costs several times an integer. The recording time travels as microseconds (``recorded_at``
converts on access); the columns only decryption needs are NULL for the events without personal
fields, which are most of them.
"""


class TypedEvent(NamedTuple, Generic[T]):
    """One stored event as the reader's model, with where it sits in the store.

    ``event`` is ``None`` for an event type the reader has no model for (for example the store's
    own ``PersonalDataErased``).
    """

    event: T | None
    stream_id: str
    version: int
    position: int
    type: str
    recorded_micros: int
    """The recording time, whole microseconds since 1970-01-01 UTC."""

    @property
    def recorded_at(self) -> datetime:
        """The recording time (as ``RecordedEvent.recorded_at``)."""
        return _EPOCH + timedelta(microseconds=self.recorded_micros)


class EventModels(Generic[T]):
    """How a reader turns stored events into its own models.

    Args:
        models: event type name -> (current schema version, pydantic model). An event stored at
            that version is validated straight from its JSON text, so the model must accept its
            own ``model_dump(mode="json")`` (the usual case).
        upgrade: builds the model from a payload dict of any stored version (personal fields
            already decrypted, store upcasters applied); e.g. a catalogue's ``from_payload``
            that runs the domain's upcaster chain.
    """

    def __init__(
        self,
        models: Mapping[str, tuple[int, type[BaseModel]]],
        upgrade: Callable[[str, int, dict[str, Any]], T],
    ) -> None:
        self._models = dict(models)
        self.upgrade = upgrade
        self._list_validators: dict[str, Callable[[bytes | bytearray], list[T]]] = {}

    def known(self, event_type: str) -> bool:
        """Whether this reader has a model for ``event_type``."""
        return event_type in self._models

    def direct(
        self, upcasters: UpcasterRegistry | None
    ) -> dict[str, tuple[int, Callable[[str], T]]]:
        """Type -> (version, JSON validator) for events that may skip the general path.

        A type with a store upcaster from its current version (unusual) always takes the
        general path, so the upcaster is never skipped.
        """
        direct: dict[str, tuple[int, Callable[[str], T]]] = {}
        for name, (version, model) in self._models.items():
            if upcasters and upcasters.latest_version(name, version) != version:
                continue
            # The model's own validator, as model_validate_json calls it, minus a Python frame.
            direct[name] = (version, model.__pydantic_validator__.validate_json)
        return direct

    def list_validator(self, event_type: str) -> Callable[[bytes | bytearray], list[T]]:
        """Validates a JSON array of payloads of ``event_type`` (a ``direct`` one) in one call.

        The same validation as the model's own, once per payload; built once per type.
        """
        validate = self._list_validators.get(event_type)
        if validate is None:
            model = self._models[event_type][1]
            validate = TypeAdapter(list[model]).validate_json  # type: ignore[valid-type]
            self._list_validators[event_type] = validate
        return validate


def decode_typed(
    rows: Sequence[asyncpg.Record],
    stream_id: str,
    models: EventModels[T],
    *,
    keys: Mapping[str, bytes],
    upcasters: UpcasterRegistry | None,
) -> list[TypedEvent[T]]:
    """Decode rows selected with ``TYPED_COLUMNS`` from one stream, in order."""
    direct = models.direct(upcasters)
    personal = PersonalFieldReader(keys)
    events: list[TypedEvent[T]] = []
    add = events.append
    with collector_paused():
        for row in rows:
            version, position, event_type, schema_version, text, micros, fields, _, _ = row
            fast = direct.get(event_type)
            event: T | None
            if (
                fast is not None
                and fast[0] == schema_version
                and (fields is None or CIPHERTEXT_MARK not in text)
            ):
                event = fast[1](text)
            elif models.known(event_type):
                event = _general(row, models, personal, upcasters)
            else:
                event = None
            add(TypedEvent(event, stream_id, version, position, event_type, micros))
    return events


def _general(
    row: asyncpg.Record,
    models: EventModels[T],
    personal: PersonalFieldReader,
    upcasters: UpcasterRegistry | None,
) -> T:
    event_type: str = row[2]
    schema_version: int = row[3]
    payload: dict[str, Any] = _loads(row[4])
    fields, event_id, subject_id = row[6], row[7], row[8]
    if fields is not None and subject_id is not None:
        payload = personal.reveal(payload, fields, event_id=event_id, subject_id=subject_id)
    if upcasters:
        schema_version, payload = upcasters.upcast(event_type, schema_version, payload)
    return models.upgrade(event_type, schema_version, payload)
