"""An in-memory event store with the PostgreSQL store's behaviour, for unit tests of callers.

It keeps the same contract (optimistic concurrency, idempotent appends, commit-ordered reads,
erasure, upcasting); the contract suite in ``tests/integration/eventstore`` runs against both.
It has no hash chain, seals or durability: those are the PostgreSQL store's business.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from eventstore.errors import (
    DuplicateEventIdConflict,
    InvalidAppend,
    SubjectErased,
    UnknownPosition,
    WrongExpectedVersion,
)
from eventstore.events import ERASED, AppendResult, NewEvent, RecordedEvent
from eventstore.expected_version import ANY, ExpectedVersion
from eventstore.hashing import canonical_json, micros_since_epoch
from eventstore.postgres_store import (
    check_batch,
    check_stream_id,
    erasure_event,
    expected_version_code,
)
from eventstore.typed import EventModels, TypedEvent
from eventstore.upcasting import UpcasterRegistry

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Stored:
    event: NewEvent
    stream_id: str
    version: int
    position: int
    recorded_at: datetime
    personal: frozenset[str]


def _same_content(stored: _Stored, stream_id: str, event: NewEvent) -> bool:
    # The PostgreSQL store compares stored text; comparing canonical JSON here matches it.
    return (
        stored.stream_id == stream_id
        and stored.event.type == event.type
        and stored.event.schema_version == event.schema_version
        and canonical_json(stored.event.payload) == canonical_json(event.payload)
        and stored.event.subject_id == event.subject_id
        and stored.personal == event.personal_fields & event.payload.keys()
    )


class InMemoryEventStore:
    """The event store contract in a list, single process, no persistence.

    Args:
        upcasters: schema-evolution steps applied on read, as in the PostgreSQL store.
        clock: source of ``recorded_at`` (inject a fixed clock for point-in-time tests).
    """

    def __init__(
        self,
        *,
        upcasters: UpcasterRegistry | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._log: list[_Stored] = []
        self._by_id: dict[Any, _Stored] = {}
        self._streams: dict[str, list[_Stored]] = {}
        self._erased: set[str] = set()
        self._upcasters = upcasters
        self._clock = clock

    async def append(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        *,
        expected_version: int | ExpectedVersion = ANY,
    ) -> AppendResult:
        """Same contract as ``PostgresEventStore.append``."""
        check_stream_id(stream_id)
        check_batch(events)
        expected_version_code(expected_version)
        for event in events:
            try:
                canonical_json(event.payload)
            except (TypeError, ValueError) as exc:
                raise InvalidAppend(f"event {event.event_id}: payload is not JSON: {exc}") from exc
        recorded = [self._by_id.get(event.event_id) for event in events]
        if any(r is not None for r in recorded):
            for event, stored in zip(events, recorded, strict=True):
                if stored is None:
                    raise DuplicateEventIdConflict(
                        event.event_id,
                        "is new but other events of the same append were already recorded",
                    )
                if stored.stream_id != stream_id:
                    raise DuplicateEventIdConflict(
                        event.event_id, f"was already recorded in stream {stored.stream_id}"
                    )
                if not _same_content(stored, stream_id, event):
                    raise DuplicateEventIdConflict(
                        event.event_id, "was already recorded with different content"
                    )
            places = [r for r in recorded if r is not None]
            return AppendResult(
                stream_id=stream_id,
                first_version=min(p.version for p in places),
                last_version=max(p.version for p in places),
                positions=[p.position for p in places],
            )
        stream = self._streams.get(stream_id, [])
        actual = len(stream)
        if (
            (expected_version is ExpectedVersion.NO_STREAM and actual != 0)
            or (expected_version is ExpectedVersion.STREAM_EXISTS and actual == 0)
            or (isinstance(expected_version, int) and expected_version != actual)
        ):
            raise WrongExpectedVersion(stream_id, expected_version, actual)
        for event in events:
            holds_personal_data = any(
                event.payload.get(field) is not None for field in event.personal_fields
            )
            if holds_personal_data and event.subject_id in self._erased:
                raise SubjectErased(event.subject_id)
        now = self._clock()
        stored_events = []
        for offset, event in enumerate(events, start=1):
            stored = _Stored(
                event=event.model_copy(update={"payload": copy.deepcopy(event.payload)}),
                stream_id=stream_id,
                version=actual + offset,
                position=len(self._log) + 1,
                recorded_at=now,
                personal=event.personal_fields & event.payload.keys(),
            )
            self._log.append(stored)
            self._by_id[event.event_id] = stored
            stored_events.append(stored)
        self._streams[stream_id] = [*stream, *stored_events]
        return AppendResult(
            stream_id=stream_id,
            first_version=actual + 1,
            last_version=actual + len(events),
            positions=[s.position for s in stored_events],
        )

    async def stream_version(self, stream_id: str) -> int:
        """The stream's last version, 0 when it does not exist."""
        return len(self._streams.get(stream_id, []))

    async def read_stream(
        self,
        stream_id: str,
        *,
        from_version: int = 1,
        as_of_time: datetime | None = None,
        as_of_position: int | None = None,
        types: Collection[str] | None = None,
    ) -> list[RecordedEvent]:
        """Same contract as ``PostgresEventStore.read_stream``."""
        if as_of_position is not None and as_of_position != 0:
            self._index_of(as_of_position)
        return [
            self._recorded(s)
            for s in self._streams.get(stream_id, [])
            if s.version >= from_version
            and (as_of_time is None or s.recorded_at <= as_of_time)
            and (as_of_position is None or s.position <= as_of_position)
            and (types is None or s.event.type in types)
        ]

    async def read_stream_typed(
        self,
        stream_id: str,
        models: EventModels[T],
        *,
        from_version: int = 1,
        as_of_time: datetime | None = None,
        as_of_position: int | None = None,
        types: Collection[str] | None = None,
    ) -> list[TypedEvent[T]]:
        """Same contract as ``PostgresEventStore.read_stream_typed`` (always the general path)."""
        recorded = await self.read_stream(
            stream_id,
            from_version=from_version,
            as_of_time=as_of_time,
            as_of_position=as_of_position,
            types=types,
        )
        return [
            TypedEvent(
                models.upgrade(r.type, r.schema_version, r.payload)
                if models.known(r.type)
                else None,
                r.stream_id,
                r.version,
                r.position,
                r.type,
                micros_since_epoch(r.recorded_at),
            )
            for r in recorded
        ]

    def _index_of(self, position: int) -> int:
        if not 1 <= position <= len(self._log):
            raise UnknownPosition(position)
        return position - 1

    async def read_all(
        self,
        *,
        after_position: int = 0,
        batch_size: int = 1000,
        types: Collection[str] | None = None,
    ) -> AsyncIterator[RecordedEvent]:
        """Same contract as ``PostgresEventStore.read_all``."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        start = 0 if after_position == 0 else self._index_of(after_position) + 1
        for stored in self._log[start:]:
            if types is None or stored.event.type in types:
                yield self._recorded(stored)

    async def erase(self, subject_id: str, *, actor: str) -> None:
        """Same contract as ``PostgresEventStore.erase``."""
        if not subject_id:
            raise ValueError("subject_id must not be empty")
        self._erased.add(subject_id)
        streams = sorted({s.stream_id for s in self._log if s.event.subject_id == subject_id}) or [
            f"erasure-{subject_id}"
        ]
        for stream_id in streams:
            await self.append(stream_id, [erasure_event(stream_id, subject_id, actor)])

    def _recorded(self, stored: _Stored) -> RecordedEvent:
        event = stored.event
        payload = copy.deepcopy(event.payload)
        if event.subject_id in self._erased:
            for field in stored.personal:
                if payload.get(field) is not None:
                    payload[field] = ERASED
        schema_version = event.schema_version
        if self._upcasters:
            schema_version, payload = self._upcasters.upcast(event.type, schema_version, payload)
        return RecordedEvent(
            event_id=event.event_id,
            stream_id=stored.stream_id,
            version=stored.version,
            position=stored.position,
            type=event.type,
            schema_version=schema_version,
            payload=payload,
            metadata=event.metadata,
            recorded_at=stored.recorded_at,
            subject_id=event.subject_id,
        )
