"""Activities that write to the event store: unpack, call the store, map errors, return."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field
from temporalio import activity
from temporalio.exceptions import ApplicationError

from eventstore import (
    ANY,
    NO_STREAM,
    DuplicateEventIdConflict,
    EventMetadata,
    ExpectedVersion,
    NewEvent,
    PostgresEventStore,
    WrongExpectedVersion,
)


class EventToAppend(BaseModel, frozen=True):
    """One decided event as the workflow hands it over (ids fixed in the workflow)."""

    event_id: UUID
    type: str
    schema_version: int = 1
    payload: dict[str, Any]
    actor: str
    causation_id: UUID | None = None
    correlation_id: UUID | None = None
    personal_fields: list[str] = Field(default_factory=list)


class AppendEventsInput(BaseModel, frozen=True):
    """Append ``events`` to ``stream_id`` if the stream is at ``expected_version``.

    ``expected_version`` is the stream's last version; 0 means the stream must not exist yet and
    -1 means any version.
    """

    stream_id: str
    subject_id: str
    expected_version: int
    events: list[EventToAppend]


class AppendEventsResult(BaseModel, frozen=True):
    """Where the events landed."""

    last_version: int
    positions: list[int]


class EventStoreActivities:
    """Event store activities; the store is injected by the worker's composition root."""

    def __init__(self, store: PostgresEventStore) -> None:
        self._store = store

    @activity.defn(name="append_events")
    async def append_events(self, request: AppendEventsInput) -> AppendEventsResult:
        """Append decided events exactly once: a retry with the same event ids writes nothing."""
        trace_id = _current_trace_id()
        events = [
            NewEvent(
                event_id=event.event_id,
                type=event.type,
                schema_version=event.schema_version,
                payload=event.payload,
                metadata=EventMetadata(
                    actor=event.actor,
                    causation_id=event.causation_id,
                    correlation_id=event.correlation_id,
                    trace_id=trace_id,
                ),
                subject_id=request.subject_id,
                personal_fields=frozenset(event.personal_fields),
            )
            for event in request.events
        ]
        try:
            result = await self._store.append(
                request.stream_id,
                events,
                expected_version=_expected(request.expected_version),
            )
        except (WrongExpectedVersion, DuplicateEventIdConflict) as exc:
            # The workflow is the single writer of its streams: a conflict means a bug or a second
            # writer, and retrying cannot fix it.
            raise ApplicationError(str(exc), type=type(exc).__name__, non_retryable=True) from exc
        return AppendEventsResult(last_version=result.last_version, positions=result.positions)


def _expected(version: int) -> int | ExpectedVersion:
    if version < 0:
        return ANY
    return NO_STREAM if version == 0 else version


def _current_trace_id() -> str | None:
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None
