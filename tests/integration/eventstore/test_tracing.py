"""The append's span: one client span per append, with counts and versions, no personal data."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from eventstore import NO_STREAM, PostgresEventStore, WrongExpectedVersion
from tests.integration.eventstore.factories import new_event, stream_name


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Spans finished during the test (the process's provider, installed if none was)."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        trace.set_tracer_provider(TracerProvider())
        provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()  # the processor stays registered but keeps nothing


def _appends(exporter: InMemorySpanExporter, stream: str) -> list[ReadableSpan]:
    return [
        span
        for span in exporter.get_finished_spans()
        if span.name == "eventstore.append"
        and span.attributes is not None
        and span.attributes.get("pathways.stream_id") == stream
    ]


async def test_each_append_is_one_client_span_with_its_versions(
    store: PostgresEventStore, spans: InMemorySpanExporter
) -> None:
    stream = stream_name()
    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("activity") as parent:
        await store.append(stream, [new_event(), new_event()], expected_version=NO_STREAM)
        await store.append(stream, [new_event(note="private words")], expected_version=2)

    first, second = _appends(spans, stream)
    assert first.kind is SpanKind.CLIENT
    assert first.parent is not None
    assert first.parent.span_id == parent.get_span_context().span_id
    assert dict(first.attributes or {}) == {
        "db.system": "postgresql",
        "pathways.stream_id": stream,
        "pathways.event_count": 2,
        "pathways.expected_version": 0,
        "pathways.first_version": 1,
        "pathways.last_version": 2,
    }
    assert (second.attributes or {})["pathways.first_version"] == 3
    assert second.status.status_code is StatusCode.UNSET
    assert "private words" not in str(second.to_json())


async def test_a_refused_append_ends_its_span_as_an_error(
    store: PostgresEventStore, spans: InMemorySpanExporter
) -> None:
    stream = stream_name()
    await store.append(stream, [new_event()])
    with pytest.raises(WrongExpectedVersion):
        await store.append(stream, [new_event()], expected_version=5)

    refused = _appends(spans, stream)[-1]
    assert refused.status.status_code is StatusCode.ERROR
    assert refused.status.description == "WrongExpectedVersion"
    assert (refused.attributes or {})["pathways.expected_version"] == 5
    assert "pathways.first_version" not in (refused.attributes or {})
    assert [event.name for event in refused.events] == ["exception"]
