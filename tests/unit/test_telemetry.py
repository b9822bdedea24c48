"""Log lines are JSON, carry the current trace id, and standard-library logs share the format."""

from __future__ import annotations

import io
import json
import logging

import structlog
from opentelemetry import trace

from workers.settings import LogFormat, Settings
from workers.telemetry import configure_logging, configure_tracing


def test_log_lines_are_json_with_the_current_trace_id() -> None:
    out = io.StringIO()
    settings = Settings(log_format=LogFormat.JSON)
    configure_logging(settings, stream=out)
    configure_tracing(settings, service_name="pathways-test")
    tracer = trace.get_tracer("tests")
    with tracer.start_as_current_span("handover") as span:
        structlog.get_logger("pathways.test").info("handover_accepted", handover_id="h-1")
        logging.getLogger("temporalio.worker").warning("task failed")
        expected = format(span.get_span_context().trace_id, "032x")

    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    ours, sdk = lines
    assert ours["event"] == "handover_accepted"
    assert ours["handover_id"] == "h-1"
    assert ours["trace_id"] == expected
    assert sdk["event"] == "task failed"
    assert sdk["logger"] == "temporalio.worker"
    assert sdk["trace_id"] == expected
    assert {"timestamp", "level"} <= ours.keys()
