"""Reading a pathway back from PostgreSQL, as the auditor would: stored events and their fold."""

from __future__ import annotations

from typing import TypeVar

from domain import Event, PathwayState, fold, from_payload
from eventstore import PostgresEventStore
from workflows.inputs import stream_id

E = TypeVar("E", bound=Event)


async def stored_events(store: PostgresEventStore, pathway_id: str) -> list[Event]:
    """Every event of the pathway's stream, decoded into domain events, in stream order."""
    recorded = await store.read_stream(stream_id(pathway_id))
    return [from_payload(r.type, r.schema_version, r.payload) for r in recorded]


async def folded(store: PostgresEventStore, pathway_id: str) -> PathwayState:
    """The state the stored events fold to; must equal the workflow's ``state`` query."""
    return fold(await stored_events(store, pathway_id), PathwayState.new(pathway_id))


def only(events: list[Event], kind: type[E]) -> list[E]:
    """The events of one type, in order."""
    return [e for e in events if isinstance(e, kind)]
