"""The one way every process connects to Temporal: pydantic payloads, encrypted (ADR 0006), and
tracing on every client."""

from __future__ import annotations

import asyncio
import dataclasses
import logging

from temporalio.client import Client, TLSConfig
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes
from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)

from workers.payload_codec import EncryptionCodec
from workers.settings import Settings


class ServiceUnavailableError(RuntimeError):
    """A configured service (PostgreSQL or Temporal) cannot be reached; the message is one line."""


_core_logs_routed = False


def route_core_logs_to_python() -> None:
    """Send the SDK core's own log lines to Python logging, hence to structlog's JSON.

    By default the Rust core prints its warnings (a slow workflow task on a loaded machine, say)
    straight to stdout, outside the structured logs and in the middle of a command's ``--json``
    output. Call before the first client exists; later calls change nothing.
    """
    global _core_logs_routed  # noqa: PLW0603 - one process-wide runtime, set once
    if _core_logs_routed:
        return
    _core_logs_routed = True
    Runtime.set_default(
        Runtime(
            telemetry=TelemetryConfig(
                logging=LoggingConfig(
                    filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
                    forwarding=LogForwardingConfig(logger=logging.getLogger("temporalio.core")),
                )
            )
        ),
        error_if_already_set=False,
    )


def data_converter(settings: Settings) -> DataConverter:
    """pydantic payloads, each encrypted with the settings' payload key; failure messages and
    stack traces are encrypted too (they may quote a command's text).

    Raises:
        PayloadKeyError: the key file is unreadable or malformed.
    """
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec(settings.payload_keys()),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


async def connect_temporal(settings: Settings, address: str) -> Client:
    """Connect to Temporal at ``address`` with the project's converter and interceptors.

    Raises:
        ServiceUnavailableError: naming the address when it cannot be reached in time.
    """
    tls: TLSConfig | bool = False
    if settings.temporal_tls or settings.temporal_tls_cert is not None:
        tls = TLSConfig(
            client_cert=settings.temporal_tls_cert.read_bytes()
            if settings.temporal_tls_cert
            else None,
            client_private_key=settings.temporal_tls_key.read_bytes()
            if settings.temporal_tls_key
            else None,
        )
    if settings.temporal_api_key is not None:
        tls = tls or True
    route_core_logs_to_python()
    converter = data_converter(settings)
    try:
        return await asyncio.wait_for(
            Client.connect(
                address,
                namespace=settings.temporal_namespace,
                data_converter=converter,
                interceptors=[TracingInterceptor()],
                tls=tls,
                api_key=settings.temporal_api_key.get_secret_value()
                if settings.temporal_api_key
                else None,
            ),
            timeout=settings.connect_timeout_seconds,
        )
    except (TimeoutError, RuntimeError, OSError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        namespace = settings.temporal_namespace
        msg = f"cannot reach Temporal at {address} (namespace {namespace}): {reason}"
        raise ServiceUnavailableError(msg) from None
