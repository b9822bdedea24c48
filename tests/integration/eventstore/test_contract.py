"""One behaviour suite, run against every store implementation (in-memory and PostgreSQL)."""

from __future__ import annotations

import asyncio
import math
import uuid

import pytest

from eventstore import (
    ANY,
    ERASED,
    NO_STREAM,
    PERSONAL_DATA_ERASED,
    STREAM_EXISTS,
    DuplicateEventIdConflict,
    EventMetadata,
    EventStore,
    ExpectedVersion,
    InvalidAppend,
    NewEvent,
    RecordedEvent,
    SubjectErased,
    UnknownPosition,
    WrongExpectedVersion,
)
from tests.integration.eventstore.factories import new_event, stream_name


async def read_all(store: EventStore, **kwargs: object) -> list[RecordedEvent]:
    return [event async for event in store.read_all(**kwargs)]  # type: ignore[arg-type]


async def test_append_to_a_new_stream_numbers_versions_from_one(any_store: EventStore) -> None:
    stream = stream_name()
    events = [new_event(n=1), new_event(n=2), new_event(n=3)]

    result = await any_store.append(stream, events, expected_version=NO_STREAM)

    assert (result.stream_id, result.first_version, result.last_version) == (stream, 1, 3)
    assert len(set(result.positions)) == 3
    recorded = await any_store.read_stream(stream)
    assert [e.version for e in recorded] == [1, 2, 3]
    assert [e.position for e in recorded] == result.positions
    assert [e.event_id for e in recorded] == [e.event_id for e in events]
    assert [e.payload for e in recorded] == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert recorded[0].metadata == events[0].metadata
    assert recorded[0].recorded_at.tzinfo is not None


async def test_exact_expected_version_appends_after_it(any_store: EventStore) -> None:
    stream = stream_name()
    await any_store.append(stream, [new_event(), new_event()])

    result = await any_store.append(stream, [new_event()], expected_version=2)

    assert (result.first_version, result.last_version) == (3, 3)
    assert await any_store.stream_version(stream) == 3


async def test_wrong_expected_version_names_stream_expected_and_actual(
    any_store: EventStore,
) -> None:
    stream = stream_name()
    await any_store.append(stream, [new_event(), new_event()])

    with pytest.raises(WrongExpectedVersion) as caught:
        await any_store.append(stream, [new_event()], expected_version=1)

    assert (caught.value.stream_id, caught.value.expected, caught.value.actual) == (stream, 1, 2)
    assert str(caught.value) == f"stream {stream}: expected version 1, actual version 2"
    assert await any_store.stream_version(stream) == 2


async def test_no_stream_refuses_an_existing_stream(any_store: EventStore) -> None:
    stream = stream_name()
    await any_store.append(stream, [new_event()], expected_version=NO_STREAM)

    with pytest.raises(WrongExpectedVersion, match="expected no stream, actual version 1"):
        await any_store.append(stream, [new_event()], expected_version=NO_STREAM)


async def test_stream_exists_refuses_a_missing_stream(any_store: EventStore) -> None:
    with pytest.raises(WrongExpectedVersion, match="actual no stream"):
        await any_store.append(stream_name(), [new_event()], expected_version=STREAM_EXISTS)


async def test_any_appends_whatever_the_version(any_store: EventStore) -> None:
    stream = stream_name()
    await any_store.append(stream, [new_event()], expected_version=ANY)
    result = await any_store.append(stream, [new_event()], expected_version=ANY)
    assert result.last_version == 2


async def test_reappending_the_same_events_returns_the_original_places_and_writes_nothing(
    any_store: EventStore,
) -> None:
    stream = stream_name()
    events = [new_event(n=1), new_event(n=2)]
    first = await any_store.append(stream, events, expected_version=NO_STREAM)
    await any_store.append(stream, [new_event(n=3)])

    # The retry still carries its original (now stale) expected version.
    again = await any_store.append(stream, events, expected_version=NO_STREAM)

    assert again == first
    assert await any_store.stream_version(stream) == 3
    assert len(await read_all(any_store)) == 3


async def test_a_replay_under_a_new_trace_is_still_a_replay(any_store: EventStore) -> None:
    stream = stream_name()
    event = new_event(n=1)
    first = await any_store.append(stream, [event])
    retried = event.model_copy(
        update={"metadata": EventMetadata(actor="actor-1", trace_id="another-attempt")}
    )

    assert await any_store.append(stream, [retried]) == first


@pytest.mark.parametrize("retry_with", ["same", "any", "stream_exists"])
async def test_a_single_event_retried_on_a_longer_stream_is_a_replay(
    any_store: EventStore, retry_with: str
) -> None:
    """The single-event append's fast path hands replays to the general rules, whatever the
    expected version the retry carries."""
    stream = stream_name()
    await any_store.append(stream, [new_event(n=0)], expected_version=NO_STREAM)
    event = new_event(n=1)
    first = await any_store.append(stream, [event], expected_version=1)
    await any_store.append(stream, [new_event(n=2)], expected_version=2)
    choices: dict[str, int | ExpectedVersion] = {
        "same": 1,
        "any": ANY,
        "stream_exists": STREAM_EXISTS,
    }
    expected = choices[retry_with]

    assert await any_store.append(stream, [event], expected_version=expected) == first
    assert await any_store.stream_version(stream) == 3
    assert len(await read_all(any_store)) == 3


async def test_same_event_id_in_another_existing_stream_is_a_conflict(
    any_store: EventStore,
) -> None:
    event = new_event()
    first_stream, second_stream = stream_name(), stream_name()
    await any_store.append(first_stream, [event])
    await any_store.append(second_stream, [new_event()])

    for expected in (ANY, 1, STREAM_EXISTS):
        with pytest.raises(DuplicateEventIdConflict, match=f"in stream {first_stream}"):
            await any_store.append(second_stream, [event], expected_version=expected)
    assert await any_store.stream_version(second_stream) == 1


async def test_same_event_id_with_other_content_is_a_conflict(any_store: EventStore) -> None:
    stream = stream_name()
    event = new_event(n=1)
    await any_store.append(stream, [event])
    changed = event.model_copy(update={"payload": {"n": 2}})

    with pytest.raises(DuplicateEventIdConflict, match="different content") as caught:
        await any_store.append(stream, [changed])

    assert caught.value.event_id == event.event_id
    assert await any_store.stream_version(stream) == 1


async def test_same_event_id_in_another_stream_is_a_conflict(any_store: EventStore) -> None:
    event = new_event()
    first_stream = stream_name()
    await any_store.append(first_stream, [event])

    with pytest.raises(DuplicateEventIdConflict, match=f"in stream {first_stream}"):
        await any_store.append(stream_name(), [event])


async def test_a_partly_recorded_batch_is_a_conflict(any_store: EventStore) -> None:
    stream = stream_name()
    old = new_event()
    await any_store.append(stream, [old])

    with pytest.raises(DuplicateEventIdConflict, match="same append"):
        await any_store.append(stream, [old, new_event()])
    assert await any_store.stream_version(stream) == 1


@pytest.mark.parametrize(
    "events",
    [
        pytest.param([], id="empty"),
        pytest.param("duplicate-ids", id="duplicate-ids"),
        pytest.param([new_event(bad=math.nan)], id="nan"),
        pytest.param([new_event(bad={1, 2})], id="set"),
        pytest.param([new_event(secret="x", personal=frozenset({"secret"}))], id="no-subject"),
    ],
)
async def test_malformed_appends_are_refused_and_change_nothing(
    any_store: EventStore, events: list[NewEvent] | str
) -> None:
    if events == "duplicate-ids":
        event = new_event()
        events = [event, event]
    stream = stream_name()
    assert not isinstance(events, str)

    with pytest.raises(InvalidAppend):
        await any_store.append(stream, events)

    assert await any_store.stream_version(stream) == 0
    assert await read_all(any_store) == []


async def test_negative_expected_version_is_refused(any_store: EventStore) -> None:
    with pytest.raises(InvalidAppend):
        await any_store.append(stream_name(), [new_event()], expected_version=-1)


async def test_read_stream_from_a_version_and_by_type(any_store: EventStore) -> None:
    stream = stream_name()
    await any_store.append(stream, [new_event("A"), new_event("B"), new_event("A"), new_event("C")])

    assert [e.version for e in await any_store.read_stream(stream, from_version=3)] == [3, 4]
    assert [e.version for e in await any_store.read_stream(stream, types={"A", "C"})] == [1, 3, 4]
    assert await any_store.read_stream(stream_name()) == []


async def test_read_stream_as_of_a_global_position(any_store: EventStore) -> None:
    stream, other = stream_name(), stream_name()
    await any_store.append(stream, [new_event(n=1)])
    marker = await any_store.append(other, [new_event()])
    await any_store.append(stream, [new_event(n=2)])

    as_of = await any_store.read_stream(stream, as_of_position=marker.positions[0])

    assert [e.payload["n"] for e in as_of] == [1]
    with pytest.raises(UnknownPosition):
        await any_store.read_stream(stream, as_of_position=10_000)


async def test_read_stream_as_of_a_time(any_store: EventStore) -> None:
    stream = stream_name()
    await any_store.append(stream, [new_event(n=1)])
    (first,) = await any_store.read_stream(stream)
    await asyncio.sleep(0.01)
    await any_store.append(stream, [new_event(n=2)])

    as_of = await any_store.read_stream(stream, as_of_time=first.recorded_at)

    assert [e.payload["n"] for e in as_of] == [1]


async def test_read_all_returns_every_event_once_and_resumes_after_a_position(
    any_store: EventStore,
) -> None:
    streams = [stream_name() for _ in range(3)]
    for round_number in range(4):
        for stream in streams:
            await any_store.append(stream, [new_event("Tick", n=round_number)])

    everything = await read_all(any_store, batch_size=5)
    resumed = await read_all(any_store, after_position=everything[4].position, batch_size=3)

    assert len(everything) == 12
    assert len({e.event_id for e in everything}) == 12
    assert resumed == everything[5:]
    assert await read_all(any_store, after_position=everything[-1].position) == []
    with pytest.raises(UnknownPosition):
        await read_all(any_store, after_position=999_999)


async def test_read_all_filters_by_type(any_store: EventStore) -> None:
    stream = stream_name()
    await any_store.append(stream, [new_event("A"), new_event("B"), new_event("A")])

    only_a = await read_all(any_store, types=["A"], batch_size=1)

    assert [e.version for e in only_a] == [1, 3]


async def test_personal_fields_read_back_in_clear_until_erased(any_store: EventStore) -> None:
    subject = f"person-{uuid.uuid4()}"
    stream = stream_name()
    event = new_event(
        "ContactRecorded",
        subject_id=subject,
        personal=frozenset({"note", "phone", "nothing"}),
        note="called about the job interview",
        phone={"country": "+45", "number": "12345678"},
        nothing=None,
        step=3,
    )
    await any_store.append(stream, [event])
    (before,) = await any_store.read_stream(stream)
    assert before.payload == event.payload

    await any_store.erase(subject, actor="auditor-7")
    await any_store.erase(subject, actor="auditor-7")  # repeating is harmless

    recorded = await any_store.read_stream(stream)
    assert recorded[0].payload == {"note": ERASED, "phone": ERASED, "nothing": None, "step": 3}
    assert [e.type for e in recorded] == ["ContactRecorded", PERSONAL_DATA_ERASED]
    assert recorded[1].metadata.actor == "auditor-7"
    assert recorded[1].subject_id == subject
    everywhere = await read_all(any_store)
    assert everywhere[0].payload["note"] == ERASED


async def test_erased_subjects_get_no_new_personal_data(any_store: EventStore) -> None:
    subject = f"person-{uuid.uuid4()}"
    stream = stream_name()
    await any_store.append(stream, [new_event(subject_id=subject)])
    await any_store.erase(subject, actor="auditor-7")

    with pytest.raises(SubjectErased):
        await any_store.append(
            stream, [new_event(subject_id=subject, personal=frozenset({"n"}), n="x")]
        )
    # Pseudonymous facts about the subject may still be recorded.
    await any_store.append(stream, [new_event(subject_id=subject, step="closed")])


async def test_a_retry_made_after_erasure_is_still_recognised(any_store: EventStore) -> None:
    subject = f"person-{uuid.uuid4()}"
    stream = stream_name()
    event = new_event(subject_id=subject, personal=frozenset({"note"}), note="private")
    first = await any_store.append(stream, [event])
    await any_store.erase(subject, actor="auditor-7")

    assert await any_store.append(stream, [event]) == first


async def test_erasing_a_subject_without_events_still_records_the_erasure(
    any_store: EventStore,
) -> None:
    subject = f"person-{uuid.uuid4()}"
    await any_store.erase(subject, actor="auditor-7")
    (erased,) = await any_store.read_stream(f"erasure-{subject}")
    assert erased.type == PERSONAL_DATA_ERASED


async def test_old_schema_versions_are_upcast_on_read(any_store: EventStore) -> None:
    stream = stream_name()
    await any_store.append(
        stream,
        [
            new_event("Renamed", schema_version=1, name="Ada Lovelace"),
            new_event("Renamed", schema_version=2, first="Grace", last="Hopper"),
            new_event("Renamed", schema_version=3, first="Alan", last="Turing", source="form"),
        ],
    )

    recorded = await any_store.read_stream(stream)

    assert [e.schema_version for e in recorded] == [3, 3, 3]
    assert [e.payload for e in recorded] == [
        {"first": "Ada", "last": "Lovelace", "source": "unknown"},
        {"first": "Grace", "last": "Hopper", "source": "unknown"},
        {"first": "Alan", "last": "Turing", "source": "form"},
    ]
