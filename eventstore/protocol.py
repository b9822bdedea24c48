"""The event store port: what callers (activities, API, audit) may rely on."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from datetime import datetime
from typing import Protocol, TypeVar

from eventstore.events import AppendResult, NewEvent, RecordedEvent
from eventstore.expected_version import ExpectedVersion
from eventstore.typed import EventModels, TypedEvent

T = TypeVar("T")


class EventStore(Protocol):
    """Implemented by ``PostgresEventStore`` and ``InMemoryEventStore``."""

    async def append(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        *,
        expected_version: int | ExpectedVersion = ...,
    ) -> AppendResult:
        """Append atomically and idempotently; see ``PostgresEventStore.append``."""
        ...

    async def stream_version(self, stream_id: str) -> int:
        """The stream's last version, 0 when it does not exist."""
        ...

    async def read_stream(
        self,
        stream_id: str,
        *,
        from_version: int = 1,
        as_of_time: datetime | None = None,
        as_of_position: int | None = None,
        types: Collection[str] | None = None,
    ) -> list[RecordedEvent]:
        """Read one stream in version order; see ``PostgresEventStore.read_stream``."""
        ...

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
        """Read a stream into the reader's models; see ``PostgresEventStore.read_stream_typed``."""
        ...

    def read_all(
        self,
        *,
        after_position: int = 0,
        batch_size: int = 1000,
        types: Collection[str] | None = None,
    ) -> AsyncIterator[RecordedEvent]:
        """Stream the global log in commit order; see ``PostgresEventStore.read_all``."""
        ...

    async def erase(self, subject_id: str, *, actor: str) -> None:
        """Crypto-shred a subject's personal data; see ``PostgresEventStore.erase``."""
        ...
