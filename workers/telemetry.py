"""Logging and tracing, configured once per process before anything else runs.

structlog renders JSON (or readable lines on a terminal); standard-library and Temporal SDK logs are
routed through the same processors, and every line carries the current OpenTelemetry trace id.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)

from workers.settings import LogFormat, OtelExporter, Settings

_configured = False


def _add_trace_ids(
    _logger: Any, _method: str, event_dict: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    span = trace.get_current_span()
    context = span.get_span_context()
    if context.is_valid:
        event_dict["trace_id"] = format(context.trace_id, "032x")
        event_dict["span_id"] = format(context.span_id, "016x")
    return event_dict


def configure_logging(settings: Settings, *, stream: Any = None) -> None:
    """Route structlog and the standard library through one JSON (or console) renderer."""
    global _configured  # noqa: PLW0603 - logging is process-global by nature; configure once
    out = stream or sys.stderr
    use_json = settings.log_format is LogFormat.JSON or (
        settings.log_format is LogFormat.AUTO and not out.isatty()
    )
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_trace_ids,
    ]
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if use_json
        else structlog.dev.ConsoleRenderer(colors=out.isatty())
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(settings.log_level)
    # The SDK's own loggers are chatty at INFO about worker polling; keep them at WARNING unless
    # the operator asked for DEBUG.
    for noisy in ("temporalio", "asyncio", "pgserver"):
        logging.getLogger(noisy).setLevel(
            logging.DEBUG if settings.log_level == "DEBUG" else logging.WARNING
        )
    _configured = True


def configure_tracing(settings: Settings, *, service_name: str) -> TracerProvider:
    """Install the process-wide tracer provider with the configured exporter."""
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    exporter: SpanExporter | None = None
    if settings.otel_exporter is OtelExporter.CONSOLE:
        exporter = ConsoleSpanExporter(out=sys.stderr)
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    elif settings.otel_exporter is OtelExporter.OTLP:
        try:
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
        except ImportError as exc:
            msg = "PATHWAYS_OTEL_EXPORTER=otlp needs the 'otlp' extra: pip install 'pathways[otlp]'"
            raise RuntimeError(msg) from exc
        exporter = OTLPSpanExporter(endpoint=settings.otel_endpoint)
        provider.add_span_processor(BatchSpanProcessor(exporter))
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(provider)
    current = trace.get_tracer_provider()
    return current if isinstance(current, TracerProvider) else provider


def configure_telemetry(settings: Settings, *, service_name: str) -> TracerProvider:
    """Configure logging then tracing; the first call in every process's ``main()``."""
    configure_logging(settings)
    return configure_tracing(settings, service_name=service_name)
