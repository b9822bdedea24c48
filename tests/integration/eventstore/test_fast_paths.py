"""The fast read and verify paths agree with the general ones on awkward events."""

from __future__ import annotations

import gc
import uuid
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from eventstore import (
    EventMetadata,
    EventStore,
    NewEvent,
    PostgresEventStore,
    RecordedEvent,
    UpcasterRegistry,
    create_pool,
    verify,
)
from eventstore.typed import EventModels, TypedEvent
from tests.integration.eventstore.factories import new_event, stream_name
from tests.keys import keyed_store

AWKWARD_KEYS: dict[str, Any] = {'quo"te': "q", "back\\slash": "b"}


async def test_verify_recomputes_every_hash_of_awkward_events_exactly(
    store: PostgresEventStore,
) -> None:
    # Verify lays the hashed bytes out in SQL; append hashes them in Python. Any difference in
    # escaping, sorting or length prefixes would show as a hash mismatch here.
    stream = 'pathway-Ωmega-"quoted"-ß'
    await store.append(
        stream,
        [
            new_event("Ünïcode", text="naïve \u2013 \u201cquotes\u201d \\ \u0001 😀", n=1.5),
            new_event(
                "Personal",
                subject_id="subject-é",
                personal=frozenset({"zeta", "Alpha", "émile", 'quo"te', "back\\slash"}),
                zeta="z",
                Alpha=None,
                émile="e",
                **AWKWARD_KEYS,
            ),
            NewEvent(
                event_id=uuid.uuid4(),
                type="NoSubject",
                payload={},
                metadata=EventMetadata(actor="a"),
            ),
        ],
    )
    await store.seal()

    report = await store.verify()

    assert report.ok, report.failures
    assert (report.events_checked, report.sealed_events) == (3, 3)


class Started(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    n: int
    note: str | None = None


class Renamed(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    first: str
    last: str


def _upgrade(event_type: str, version: int, payload: dict[str, Any]) -> BaseModel:
    if event_type == "Renamed" and version == 1:
        first, _, last = payload.pop("name").partition(" ")
        return Renamed(first=first, last=last)
    model: type[BaseModel] = Started if event_type == "Started" else Renamed
    return model.model_validate(payload)


MODELS: EventModels[BaseModel] = EventModels(
    {"Started": (1, Started), "Renamed": (2, Renamed)}, _upgrade
)


async def test_typed_reads_equal_the_general_read_folded_through_the_models(
    store: PostgresEventStore,
) -> None:
    stream = stream_name()
    await store.append(
        stream,
        [
            new_event("Started", n=1),
            new_event("Started", n=2, subject_id="p-1", personal=frozenset({"note"}), note="hi"),
            new_event("Started", n=3, subject_id="p-1", personal=frozenset({"note"}), note=None),
            new_event("Renamed", name="Ada Lovelace"),
            new_event("Renamed", schema_version=2, first="Grace", last="Hopper"),
            new_event("Unknown", x=1),
        ],
    )

    typed = await store.read_stream_typed(stream, MODELS)
    general = await store.read_stream(stream)

    assert [t.event for t in typed] == [
        Started(n=1),
        Started(n=2, note="hi"),
        Started(n=3),
        Renamed(first="Ada", last="Lovelace"),
        Renamed(first="Grace", last="Hopper"),
        None,
    ]
    assert [(t.stream_id, t.version, t.position, t.type, t.recorded_at) for t in typed] == [
        (g.stream_id, g.version, g.position, g.type, g.recorded_at) for g in general
    ]
    assert all(isinstance(t, TypedEvent) for t in typed)


async def test_typed_reads_honour_erasure_filters_and_store_upcasters(
    store: PostgresEventStore,
) -> None:
    stream = stream_name()
    await store.append(
        stream,
        [
            new_event("Started", n=1, subject_id="p-2", personal=frozenset({"note"}), note="x"),
            new_event("Renamed", name="Ada Lovelace"),
        ],
    )
    await store.erase("p-2", actor="dpo")

    typed = await store.read_stream_typed(stream, MODELS, types=["Started"])

    assert [t.event for t in typed] == [Started(n=1, note="[erased]")]
    assert (await store.read_stream_typed(stream, MODELS, from_version=2))[0].event == Renamed(
        first="Ada", last="Lovelace"
    )

    # A store upcaster from a model's current version is never skipped by the direct path.
    registry = UpcasterRegistry()
    registry.register("Started", 1, lambda payload: {**payload, "n": payload["n"] * 10})
    upcasting = keyed_store(store.pool, upcasters=registry)
    upgraded = EventModels({"Started": (1, Started)}, lambda _t, _v, p: Started(n=p["n"]))
    (first,) = await upcasting.read_stream_typed(stream, upgraded, types=["Started"])
    assert first.event == Started(n=10)


@pytest.mark.parametrize("count", [0, 1])
async def test_typed_read_of_a_missing_or_tiny_stream(
    store: PostgresEventStore, count: int
) -> None:
    stream = stream_name()
    if count:
        await store.append(stream, [new_event("Started", n=7)])
    typed = await store.read_stream_typed(stream, MODELS)
    assert [t.event for t in typed] == [Started(n=7)] * count


async def test_verify_on_a_one_connection_pool_reports_the_same(
    store: PostgresEventStore, database_url: str
) -> None:
    # With one connection the two passes run one after the other instead of side by side.
    for _ in range(3):
        await store.append(stream_name(), [new_event(n=n) for n in range(3)])
    await store.seal()
    await store.append(stream_name(), [new_event(n=9)])

    single = await create_pool(database_url, min_size=1, max_size=1)
    try:
        alone = await verify(
            single, chain_key=store.keyring.chain_key, verifier=store.keyring.seal_verifier
        )
    finally:
        await single.close()

    assert alone == await store.verify()
    assert (alone.ok, alone.events_checked, alone.sealed_events, alone.unsealed_events) == (
        True,
        10,
        9,
        1,
    )


class RenamedV3(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    first: str
    last: str
    source: str


async def test_every_store_reads_typed_events_through_its_upcasters(any_store: EventStore) -> None:
    # The contract upcasters lift Renamed v1 -> v2 -> v3 before the reader's models see it.
    stream = stream_name()
    await any_store.append(
        stream,
        [
            new_event("Renamed", name="Ada Lovelace"),
            new_event("Renamed", schema_version=3, first="Grace", last="Hopper", source="hr"),
            new_event("Other"),
        ],
    )
    models = EventModels(
        {"Renamed": (3, RenamedV3)}, lambda _t, _v, payload: RenamedV3.model_validate(payload)
    )

    typed = await any_store.read_stream_typed(stream, models)

    assert [t.event for t in typed] == [
        RenamedV3(first="Ada", last="Lovelace", source="unknown"),
        RenamedV3(first="Grace", last="Hopper", source="hr"),
        None,
    ]
    assert [t.version for t in typed] == [1, 2, 3]


async def test_long_typed_reads_equal_the_general_read_across_batches(
    store: PostgresEventStore,
) -> None:
    # Past its first 1,000 events a typed read streams batches of 1,000 versions through COPY.
    # Events that need the general path sit at the edges: the first event after the rows,
    # both sides of a batch boundary, the last event. COPY takes its values as literals, hence
    # the quote and backslash in the stream id.
    stream = f"pathway-o'brien\\{uuid.uuid4()}-Ω"
    awkward = 'naïve "quoted" \\ back\\slash \u2013 😀'
    old = {1001, 2000, 2001}
    sealed = {1500, 2500}
    erased = {1700}
    unknown = {1999, 2002}
    events: list[NewEvent] = []
    for version in range(1, 2602):
        if version in old:
            events.append(new_event("Renamed", name=f"Ada Lovelace{version}"))
        elif version in sealed | erased:
            subject = "p-gone" if version in erased else "p-kept"
            note = f"secret {version}"
            events.append(
                new_event("Started", n=version, subject_id=subject, personal=_NOTE, note=note)
            )
        elif version in unknown:
            events.append(new_event("Unknown", x=version))
        elif version % 7 == 0:
            events.append(new_event("Renamed", schema_version=2, first=awkward, last=str(version)))
        elif version % 5 == 0:
            events.append(
                new_event("Started", n=version, subject_id="p-kept", personal=_NOTE, note=None)
            )
        else:
            events.append(new_event("Started", n=version, note=awkward if version % 3 else None))
    for first in range(0, len(events), 500):  # distinct recording times for as_of_time
        await store.append(stream, events[first : first + 500])
    await store.erase("p-gone", actor="dpo")  # and a PersonalDataErased no model knows

    general = await store.read_stream(stream)
    middle = general[2300]
    selections: list[dict[str, Any]] = [
        {},
        {"from_version": 2},
        {"types": ["Started", "Unknown"]},
        {"as_of_position": middle.position},
        {"as_of_time": middle.recorded_at},
    ]
    for selection in selections:
        typed = await store.read_stream_typed(stream, MODELS, **selection)
        expected = await store.read_stream(stream, **selection)

        assert len(typed) == len(expected) > 1000, selection
        assert [t.event for t in typed] == [_folded(g) for g in expected], selection
        assert [(t.stream_id, t.version, t.position, t.type, t.recorded_at) for t in typed] == [
            (g.stream_id, g.version, g.position, g.type, g.recorded_at) for g in expected
        ], selection
    typed = await store.read_stream_typed(stream, MODELS)
    assert typed[1699].event == Started(n=1700, note="[erased]")
    assert typed[2499].event == Started(n=2500, note="secret 2500")
    assert typed[2000].event == Renamed(first="Ada", last="Lovelace2001")

    # With a store upcaster from Started's current version, every Started takes the general path.
    registry = UpcasterRegistry()
    registry.register("Started", 1, lambda payload: {**payload, "n": payload["n"] * 10})
    upcasting = keyed_store(store.pool, upcasters=registry)
    typed = await upcasting.read_stream_typed(stream, MODELS)
    assert [t.event for t in typed] == [_folded(g) for g in await upcasting.read_stream(stream)]
    assert typed[2598].event == Started(n=25990, note=awkward)
    assert gc.isenabled()  # paused while the batches streamed, and only then


_NOTE = frozenset({"note"})


def _folded(event: RecordedEvent) -> BaseModel | None:
    if event.type not in ("Started", "Renamed"):
        return None
    return _upgrade(event.type, event.schema_version, dict(event.payload))
