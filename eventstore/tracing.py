"""OpenTelemetry spans around the store's public calls.

Attributes carry counts, versions, positions and the stream id, never payloads, subjects or
actors: stream ids are pseudonymous (``pathway-<id>``), everything personal stays out of traces.
Spans use the process's tracer provider (``workers.telemetry``); without one they are no-ops.
"""

from __future__ import annotations

from opentelemetry import trace

tracer = trace.get_tracer(__name__)
"""The store's tracer (a proxy until the process installs a provider)."""

DB_SYSTEM = "db.system"
STREAM_ID = "pathways.stream_id"
EVENT_COUNT = "pathways.event_count"
EXPECTED_VERSION = "pathways.expected_version"
FIRST_VERSION = "pathways.first_version"
LAST_VERSION = "pathways.last_version"
AFTER_POSITION = "pathways.after_position"
BATCH_SIZE = "pathways.batch_size"
SEAL_COUNT = "pathways.seal_count"
VERIFY_OK = "pathways.verify.ok"
FAILURE_COUNT = "pathways.verify.failure_count"
