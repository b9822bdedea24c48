"""Operators' metrics through OpenTelemetry, exposed for Prometheus at ``GET /metrics``.

Only counts, durations and lags: no pathway id, person, organisation or text is ever an
attribute. The instruments live in one meter provider per process, made on first use (the
Prometheus reader registers itself in ``prometheus_client``'s registry, which is per process).
Gauges that need the database (projection lag, quarantined pathways) are read when ``/metrics``
is scraped, so a scrape shows the state of that moment.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

import asyncpg
from opentelemetry.metrics import CallbackOptions, Counter, Histogram, Observation
from opentelemetry.sdk.metrics import MeterProvider


@dataclass
class _Snapshot:
    """The database-backed gauges as last read (by the ``/metrics`` route)."""

    values: dict[str, float] = field(default_factory=dict)

    def gauge(self, name: str) -> functools.partial[Iterable[Observation]]:
        return functools.partial(self._observe, name)

    def _observe(self, name: str, _options: CallbackOptions) -> Iterable[Observation]:
        if name in self.values:
            yield Observation(self.values[name])


@dataclass(frozen=True)
class Metrics:
    """The API process's instruments."""

    command_duration: Histogram
    commands: Counter
    snapshot: _Snapshot


@functools.cache
def metrics() -> Metrics:
    """The process's instruments (made once; the Prometheus reader is per process)."""
    from opentelemetry.exporter.prometheus import PrometheusMetricReader

    provider = MeterProvider(metric_readers=[PrometheusMetricReader()])
    meter = provider.get_meter("pathways")
    snapshot = _Snapshot()
    meter.create_observable_gauge(
        "pathways.projections.lag.events",
        callbacks=[snapshot.gauge("lag_events")],
        description="events committed to the log and not yet in the projections",
    )
    meter.create_observable_gauge(
        "pathways.projections.lag.seconds",
        callbacks=[snapshot.gauge("lag_seconds")],
        unit="s",
        description="age of the oldest event not yet in the projections",
    )
    meter.create_observable_gauge(
        "pathways.projections.quarantined",
        callbacks=[snapshot.gauge("quarantined")],
        description="pathways set aside because an event of theirs could not be projected",
    )
    return Metrics(
        command_duration=meter.create_histogram(
            "pathways.command.duration",
            unit="s",
            description="time from a command's request to its answer, by outcome",
        ),
        commands=meter.create_counter(
            "pathways.commands", description="commands answered, by outcome"
        ),
        snapshot=snapshot,
    )


def record_command(seconds: float, status: int) -> None:
    """Count one command's answer and its duration (outcome: the HTTP status class)."""
    outcome = {"outcome": f"{status // 100}xx"}
    instruments = metrics()
    instruments.command_duration.record(seconds, outcome)
    instruments.commands.add(1, outcome)


async def scrape(pool: asyncpg.Pool) -> bytes:
    """Read the database-backed gauges, then render every metric in Prometheus' text format."""
    from prometheus_client import REGISTRY, generate_latest

    from api.projections.quarantine import count_open
    from api.projections.runner import projection_subscription

    instruments = metrics()
    lag = await projection_subscription(pool).lag()
    async with pool.acquire() as connection:
        quarantined = await count_open(connection)
    instruments.snapshot.values.update(
        lag_events=float(lag.events_behind),
        lag_seconds=float(lag.seconds_behind or 0.0),
        quarantined=float(quarantined),
    )
    return bytes(generate_latest(REGISTRY))
