"""``pathways bench eventstore``: the store against its anchor and raw floors, in one run.

Every comparison is a ratio of two workloads measured in the same run, interleaved round by
round and reported as the median round, because the machine is shared and absolute times drift by
a factor of two within minutes. Within a round the single-event appends run in slices, contenders
taking turns slice by slice in a rotating order, so that a slow spell of the machine falls on all
of them alike rather than on whichever ran during it. Contenders:

* pathways: ``PostgresEventStore`` as the product wires it (``create_pool``, notify on).
* raw INSERT floor: one bare prepared INSERT per transaction on a dedicated asyncpg connection,
  into a copy of ``eventstore.events`` with the same columns, defaults and indexes, of the same
  row the store writes (subject column included: every pathway event names its subject, and the
  subject's index is part of what a stored event costs).
* COPY floor: binary COPY (``copy_records_to_table``) of the same 100 rows per transaction.
* eventsourcing: the ``eventsourcing`` library's ``PostgresApplicationRecorder`` (psycopg 3,
  one thread per writer), when the optional ``bench`` extra is installed.

Replay reads a stream of real domain events into their typed models with
``PostgresEventStore.read_stream_typed`` (the generic ``read_stream`` followed by
``domain.catalogue.from_payload`` is reported beside it). Peak memory of replaying and
verifying 1,000,000 events is measured in child processes (``VmHWM`` of the child, which
covers interpreter, imports and work), so the parent's own allocations do not count.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

import asyncpg

from domain.catalogue import (
    EVENT_TYPES,
    event_type,
    from_payload,
    personal_fields_of,
    schema_version,
)
from domain.events.base import Event
from domain.events.employment import FollowAlongContactMade, JobStarted
from domain.events.handover import HandoverAccepted, HandoverRequested
from domain.events.pathway import TrackStarted
from eventstore import (
    EventMetadata,
    EventModels,
    NewEvent,
    PostgresEventStore,
    create_pool,
    migrate,
)
from eventstore.hashing import canonical_json
from eventstore.keyring import Keyring
from eventstore.signing import SealSigner
from eventstore.tracing import tracer
from scripts.bench.common import scratch_store
from workers.settings import Settings

# The store is measured as deployed: keyed chain, signed seals. The keys are fixed so that the
# child process verifying the million events uses the same ones; they guard only the bench's
# scratch database, which is dropped afterwards.
BENCH_KEYRING = Keyring(
    chain_key=hashlib.sha256(b"pathways-bench-chain-key").digest(),
    seal_signer=SealSigner(hashlib.sha256(b"pathways-bench-seal-key").digest()),
)

WRITERS = 8
BATCH = 100
SLICES = 6
"""Slices per round of the single-event append workloads (see the module docstring)."""
STREAMS_PER_WRITER = 20
_RAW_COLUMNS = (
    "stream_id",
    "version",
    "event_id",
    "type",
    "schema_version",
    "payload",
    "metadata",
    "hash",
    "subject_id",
)
_RAW_INSERT = """
    INSERT INTO bench_raw.events (stream_id, version, event_id, type, schema_version, payload,
                                  metadata, hash, subject_id)
    VALUES ($1, $2, $3, $4, $5, $6::json, $7::json, $8, $9)
"""
_BASE_TIME = datetime(2025, 1, 1, tzinfo=UTC)

DOMAIN_MODELS: EventModels[Event] = EventModels(
    {name: (cls.schema_version, cls) for name, cls in EVENT_TYPES.items()}, from_payload
)
"""The domain's events as ``read_stream_typed`` builds them (old versions via ``from_payload``)."""


@dataclass(frozen=True)
class Sizes:
    """How much each workload does per round."""

    single_appends: int
    single_appends_per_writer: int
    batches: int
    replay_events: int
    rounds: int
    million: int


FULL = Sizes(
    single_appends=600,
    single_appends_per_writer=150,
    batches=60,
    replay_events=100_000,
    rounds=3,
    million=1_000_000,
)
QUICK = Sizes(
    single_appends=40,
    single_appends_per_writer=10,
    batches=4,
    replay_events=2_000,
    rounds=1,
    million=0,
)


@dataclass(frozen=True)
class Target:
    """One line of the issue's performance targets."""

    name: str
    workload: str
    measure: str
    against: str | None
    minimum: float
    unit: str


_ES, _RAW = "eventsourcing", "raw_insert"
TARGETS = (
    Target("single append vs eventsourcing, 1 writer", "append_1", "pathways", _ES, 2.0, "x"),
    Target("single append vs eventsourcing, 8 writers", "append_8", "pathways", _ES, 4.0, "x"),
    Target("single append vs raw INSERT, 1 writer", "append_1", "pathways", _RAW, 0.70, "x"),
    Target("batch of 100 vs COPY", "batch_100", "pathways", "copy", 0.50, "x"),
    Target("replay 100k into domain events", "replay", "pathways", None, 150_000, "events/s"),
    Target("verify", "verify", "pathways", None, 100_000, "events/s"),
    Target("replay 1M, peak RSS", "million_replay", "max_rss_mb", None, -300, "MB"),
    Target("verify 1M, peak RSS", "million_verify", "max_rss_mb", None, -300, "MB"),
)
"""A negative minimum is a maximum (memory must stay under it)."""


@dataclass
class Results:
    """Rates per workload and contender, one per round; plus single figures."""

    rounds: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    figures: dict[str, dict[str, float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, workload: str, contender: str, rate: float) -> None:
        """Record one round's rate."""
        self.rounds.setdefault(workload, {}).setdefault(contender, []).append(rate)

    def median(self, workload: str, contender: str) -> float | None:
        """The median round of a contender, None when it did not run."""
        rates = self.rounds.get(workload, {}).get(contender)
        return statistics.median(rates) if rates else None


# --- domain events --------------------------------------------------------------------------


def domain_event(i: int, pathway: str) -> Event:
    """A realistic mix of the pathway's events (five types, personal fields declared)."""
    common: dict[str, Any] = {
        "event_id": uuid.uuid4(),
        "pathway_id": pathway,
        "occurred_at": _BASE_TIME + timedelta(seconds=i),
        "actor": "worker-7",
    }
    kind = i % 5
    if kind == 0:
        return FollowAlongContactMade(job_id="job-1", with_party="worker", **common)
    if kind == 1:
        return HandoverRequested(
            handover_id=f"h-{i}",
            responsibility="employment",
            from_org="org-a",
            to_org="org-b",
            **common,
        )
    if kind == 2:
        return HandoverAccepted(handover_id=f"h-{i - 1}", by_org="org-b", **common)
    if kind == 3:
        return TrackStarted(track="employment", responsible_org="org-b", **common)
    return JobStarted(
        job_id="job-1",
        employer_id="emp-1",
        hours_per_week=20.0,
        contract_type="regular",
        competitive=True,
        **common,
    )


_METADATA = EventMetadata(actor="worker-7")


def new_event(i: int, pathway: str) -> NewEvent:
    """A domain event as the workflow's activity appends it."""
    event = domain_event(i, pathway)
    name = event_type(event)
    return NewEvent(
        event_id=event.event_id,
        type=name,
        schema_version=schema_version(name),
        payload=event.model_dump(mode="json"),
        metadata=_METADATA,
        subject_id=f"subject-{pathway}",
        personal_fields=personal_fields_of(name),
    )


# --- database -------------------------------------------------------------------------------


def _with_database(dsn: str, database: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


async def _create_database(admin_dsn: str, name: str) -> None:
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def _drop_database(admin_dsn: str, name: str) -> None:
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def _connection_parameters(dsn: str) -> dict[str, Any]:
    parts = urlsplit(dsn)
    query = parse_qs(parts.query)
    host = query.get("host", [parts.hostname or "localhost"])[0]
    return {
        "dbname": unquote(parts.path.lstrip("/")),
        "host": host,
        "port": parts.port or int(query.get("port", ["5432"])[0]),
        "user": unquote(parts.username or "postgres"),
        "password": unquote(parts.password or ""),
    }


# --- contenders -----------------------------------------------------------------------------


class PathwaysWriter:
    """Single-event and batched appends through the store, one stream set per writer."""

    def __init__(self, store: PostgresEventStore, writer: int, label: str) -> None:
        self._store = store
        self._streams = [f"pathway-{label}-{writer}-{s}" for s in range(STREAMS_PER_WRITER)]
        self._versions = dict.fromkeys(self._streams, 0)
        self._next = 0

    async def warm_up(self) -> None:
        """Create the streams (a stream's first append takes the general path)."""
        for stream in self._streams:
            await self.append_one(stream)

    async def append_one(self, stream: str | None = None) -> None:
        """Append one event with the expected version, as a workflow activity does."""
        if stream is None:
            stream = self._streams[self._next % len(self._streams)]
            self._next += 1
        version = self._versions[stream]
        result = await self._store.append(
            stream, [new_event(version, stream)], expected_version=version
        )
        self._versions[stream] = result.last_version

    async def append_batch(self, size: int) -> None:
        """Append ``size`` events to one stream in one transaction."""
        stream = self._streams[self._next % len(self._streams)]
        self._next += 1
        version = self._versions[stream]
        events = [new_event(version + i, stream) for i in range(size)]
        result = await self._store.append(stream, events, expected_version=version)
        self._versions[stream] = result.last_version


class RawWriter:
    """The floors: bare INSERT per transaction, and COPY per batch, on a dedicated connection."""

    def __init__(self, connection: asyncpg.Connection, writer: int, label: str) -> None:
        self._connection = connection
        self._streams = [f"raw-{label}-{writer}-{s}" for s in range(STREAMS_PER_WRITER)]
        self._versions = dict.fromkeys(self._streams, 0)
        self._next = 0

    def _row(self, stream: str) -> tuple[Any, ...]:
        self._versions[stream] += 1
        version = self._versions[stream]
        event = new_event(version, stream)
        return (
            stream,
            version,
            event.event_id,
            event.type,
            event.schema_version,
            canonical_json(event.payload),
            '{"actor":"worker-7"}',
            bytes(32),
            event.subject_id,
        )

    async def insert_one(self) -> None:
        """One bare INSERT, its own transaction."""
        stream = self._streams[self._next % len(self._streams)]
        self._next += 1
        await self._connection.execute(_RAW_INSERT, *self._row(stream))

    async def copy_batch(self, size: int) -> None:
        """``size`` rows by binary COPY, one transaction."""
        stream = self._streams[self._next % len(self._streams)]
        self._next += 1
        rows = [self._row(stream) for _ in range(size)]
        await self._connection.copy_records_to_table(
            "events", schema_name="bench_raw", records=rows, columns=_RAW_COLUMNS
        )


class EventsourcingWriters:
    """The ``eventsourcing`` library's PostgreSQL application recorder, one thread per writer."""

    def __init__(self, dsn: str, writers: int) -> None:
        from eventsourcing.persistence import StoredEvent
        from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

        self._stored_event = StoredEvent
        self._datastore = PostgresDatastore(
            **_connection_parameters(dsn), pool_size=writers, max_overflow=0
        )
        self.recorder = PostgresApplicationRecorder(self._datastore, events_table_name="es_events")
        self.recorder.create_table()
        self._versions: dict[uuid.UUID, int] = {}
        self._executor = ThreadPoolExecutor(max_workers=writers)

    def _stored(self, originator: uuid.UUID, version: int) -> Any:
        event = new_event(version, str(originator))
        state = canonical_json(event.payload).encode()
        return self._stored_event(
            originator_id=originator, originator_version=version, topic=event.type, state=state
        )

    def _append(self, streams: list[uuid.UUID], count: int, size: int) -> None:
        for i in range(count):
            stream = streams[i % len(streams)]
            version = self._versions.get(stream, 0)
            events = [self._stored(stream, version + 1 + k) for k in range(size)]
            self.recorder.insert_events(events)
            self._versions[stream] = version + size

    async def run(self, writers: int, count: int, size: int) -> float:
        """Seconds ``writers`` threads take to each do ``count`` inserts of ``size`` events."""
        loop = asyncio.get_running_loop()
        streams = [[uuid.uuid4() for _ in range(STREAMS_PER_WRITER)] for _ in range(writers)]
        started = time.perf_counter()
        await asyncio.gather(
            *(
                loop.run_in_executor(self._executor, self._append, streams[w], count, size)
                for w in range(writers)
            )
        )
        return time.perf_counter() - started

    def close(self) -> None:
        """Stop the threads and the recorder's pool."""
        self._executor.shutdown()
        self._datastore.close()


# --- the run --------------------------------------------------------------------------------


@dataclass
class Bench:
    """Everything one run needs: the scratch database, the store and the floors' connections."""

    dsn: str
    sizes: Sizes
    results: Results
    pool: asyncpg.Pool
    store: PostgresEventStore
    raw: list[asyncpg.Connection]
    anchor: EventsourcingWriters | None

    async def appends(self, round_number: int) -> None:
        """Single-event appends with 1 and 8 writers, then batches of 100, all contenders."""
        sizes = self.sizes
        for writers, count, workload in (
            (1, sizes.single_appends, "append_1"),
            (WRITERS, sizes.single_appends_per_writer, "append_8"),
        ):
            label = f"{workload}-{round_number}"
            ours = [PathwaysWriter(self.store, w, label) for w in range(writers)]
            await asyncio.gather(*(writer.warm_up() for writer in ours))
            floors = [RawWriter(self.raw[w], w, label) for w in range(writers)]
            contenders: dict[str, Callable[[int], Awaitable[float]]] = {
                "pathways": partial(_elapsed, ours, step=_one),
                "raw_insert": partial(_elapsed, floors, step=_insert),
            }
            if self.anchor is not None:
                contenders["eventsourcing"] = partial(self.anchor.run, writers, size=1)
            elapsed = await _interleaved(contenders, count, rotation=round_number)
            for contender, seconds in elapsed.items():
                self.results.add(workload, contender, writers * count / seconds)
        label = f"batch-{round_number}"
        ours = [PathwaysWriter(self.store, 0, label)]
        await ours[0].warm_up()
        batches = sizes.batches
        seconds = await _elapsed(ours, batches, _batch)
        self.results.add("batch_100", "pathways", batches * BATCH / seconds)
        seconds = await _elapsed([RawWriter(self.raw[0], 0, label)], batches, _copy)
        self.results.add("batch_100", "copy", batches * BATCH / seconds)
        if self.anchor is not None:
            seconds = await self.anchor.run(1, batches, BATCH)
            self.results.add("batch_100", "eventsourcing", batches * BATCH / seconds)

    async def seed_stream(self, stream: str, events: int) -> None:
        """One long stream of domain events, appended in batches of 1,000."""
        written = 0
        while written < events:
            size = min(1000, events - written)
            batch = [new_event(written + i, stream) for i in range(size)]
            await self.store.append(stream, batch, expected_version=written)
            written += size

    async def replay(self, stream: str, events: int) -> None:
        """Read the stream into domain models: the typed read, then the generic one for scale."""
        started = time.perf_counter()
        typed = await self.store.read_stream_typed(stream, DOMAIN_MODELS)
        finished = time.perf_counter()
        assert len(typed) == events, (len(typed), events)
        self.results.add("replay", "pathways", events / (finished - started))
        del typed
        started = time.perf_counter()
        recorded = await self.store.read_stream(stream)
        read = time.perf_counter()
        generic = [from_payload(r.type, r.schema_version, r.payload) for r in recorded]
        finished = time.perf_counter()
        assert len(generic) == events, (len(generic), events)
        self.results.add("replay", "read_stream+from_payload", events / (finished - started))
        self.results.add("replay", "read_stream_only", events / (read - started))

    async def verify(self) -> None:
        """The whole store's verification, events checked per second."""
        started = time.perf_counter()
        report = await self.store.verify()
        elapsed = time.perf_counter() - started
        if not report.ok:
            raise RuntimeError(f"verify failed on the bench database: {report.first_failure}")
        self.results.add("verify", "pathways", report.events_checked / elapsed)
        self.results.figures.setdefault("verify", {})["events_checked"] = report.events_checked


async def _elapsed(
    writers: Sequence[Any], count: int, step: Callable[[Any], Awaitable[None]]
) -> float:
    """Seconds the ``writers`` take, all at once, to do ``count`` steps each."""

    async def one(writer: Any) -> None:
        for _ in range(count):
            await step(writer)

    started = time.perf_counter()
    await asyncio.gather(*(one(w) for w in writers))
    return time.perf_counter() - started


async def _interleaved(
    contenders: dict[str, Callable[[int], Awaitable[float]]], count: int, rotation: int
) -> dict[str, float]:
    """Seconds each contender takes for ``count`` operations (per writer), run in ``SLICES``
    slices: every contender does one slice, then every contender the next, each slice in an
    order rotated by one, starting from ``rotation``."""
    names = list(contenders)
    elapsed = dict.fromkeys(names, 0.0)
    slices = max(1, min(SLICES, count))
    done = 0
    for index in range(slices):
        size = count * (index + 1) // slices - done
        done += size
        start = (rotation + index) % len(names)
        for name in names[start:] + names[:start]:
            elapsed[name] += await contenders[name](size)
    return elapsed


async def _one(writer: PathwaysWriter) -> None:
    await writer.append_one()


async def _batch(writer: PathwaysWriter) -> None:
    await writer.append_batch(BATCH)


async def _insert(writer: RawWriter) -> None:
    await writer.insert_one()


async def _copy(writer: RawWriter) -> None:
    await writer.copy_batch(BATCH)


def _span_overhead_us() -> float:
    """Cost of one span as the store makes them, with the process's tracer provider."""
    count = 20_000
    started = time.perf_counter()
    for i in range(count):
        with tracer.start_as_current_span(
            "eventstore.bench", attributes={"pathways.stream_id": "pathway-x", "n": i}
        ) as span:
            span.set_attribute("pathways.event_count", 1)
    return (time.perf_counter() - started) / count * 1e6


async def _open_anchor(dsn: str, results: Results) -> EventsourcingWriters | None:
    try:
        return await asyncio.to_thread(EventsourcingWriters, dsn, WRITERS)
    except ImportError:
        results.notes.append(
            "eventsourcing not installed (pip install 'pathways[bench]'): comparison skipped"
        )
        return None


async def _seed_million(bench: Bench, total: int) -> int:
    """Top the database up to ``total`` events with 1,000-event streams, 8 writers at once."""
    have = int(await bench.pool.fetchval("SELECT count(*) FROM eventstore.events"))
    missing = max(0, total - have)
    streams = (missing + 999) // 1000
    queue = iter(range(streams))

    async def writer() -> None:
        for s in queue:
            await bench.seed_stream(f"pathway-million-{s}", 1000)

    await asyncio.gather(*(writer() for _ in range(WRITERS)))
    return int(await bench.pool.fetchval("SELECT count(*) FROM eventstore.events"))


def _child(mode: str, dsn: str) -> dict[str, float]:
    completed = subprocess.run(  # noqa: S603 - our own interpreter and module, no shell
        [sys.executable, "-m", "scripts.bench.eventstore", "--child", mode, dsn],
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    figures: dict[str, float] = json.loads(completed.stdout.strip().splitlines()[-1])
    return figures


async def _child_run(mode: str, dsn: str) -> dict[str, float]:
    pool = await create_pool(dsn, min_size=1, max_size=2)
    store = PostgresEventStore(pool, keyring=BENCH_KEYRING)
    started = time.perf_counter()
    count = 0
    try:
        if mode == "replay":
            async for recorded in store.read_all(batch_size=5000):
                from_payload(recorded.type, recorded.schema_version, recorded.payload)
                count += 1
        else:
            report = await store.verify()
            if not report.ok:
                raise RuntimeError(report.first_failure)
            count = report.events_checked
    finally:
        await pool.close()
    elapsed = time.perf_counter() - started
    return {"events": count, "events_per_s": count / elapsed, "max_rss_mb": _peak_rss_mb()}


def _peak_rss_mb() -> float:
    """This process's peak resident memory.

    Why ``VmHWM`` and not ``ru_maxrss``: Linux keeps ``ru_maxrss`` across ``execve``, so a child
    would report its parent's peak; ``VmHWM`` belongs to the new address space.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:  # noqa: PTH123
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _machine(server_version: str) -> dict[str, Any]:
    memory_kb = 0
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:  # noqa: PTH123
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    memory_kb = int(line.split()[1])
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "postgresql": server_version,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


async def run(dsn: str, sizes: Sizes) -> dict[str, Any]:
    """Run every workload on a scratch database of the server at ``dsn``; return the report."""
    results = Results()
    name = f"pathways_bench_{uuid.uuid4().hex[:12]}"
    await _create_database(dsn, name)
    scratch = _with_database(dsn, name)
    pool = await create_pool(scratch, min_size=WRITERS, max_size=WRITERS)
    raw: list[asyncpg.Connection] = []
    anchor: EventsourcingWriters | None = None
    try:
        await migrate(pool)
        await pool.execute(
            "CREATE SCHEMA bench_raw;"
            " CREATE TABLE bench_raw.events (LIKE eventstore.events INCLUDING ALL)"
        )
        server_version = str(await pool.fetchval("SHOW server_version"))
        raw = [await asyncpg.connect(scratch) for _ in range(WRITERS)]
        anchor = await _open_anchor(scratch, results)
        bench = Bench(
            scratch, sizes, results, pool, scratch_store(pool, keyring=BENCH_KEYRING), raw, anchor
        )
        for round_number in range(sizes.rounds):
            await bench.appends(round_number)
        stream = "pathway-replay"
        await bench.seed_stream(stream, sizes.replay_events)
        for _ in range(sizes.rounds):
            await bench.replay(stream, sizes.replay_events)
        for _ in range(sizes.rounds):
            await bench.verify()
        results.figures["span"] = {"overhead_us": _span_overhead_us()}
        if sizes.million:
            total = await _seed_million(bench, sizes.million)
            for mode in ("replay", "verify"):
                figures = await asyncio.to_thread(_child, mode, scratch)
                results.figures[f"million_{mode}"] = {**figures, "store_events": total}
        return _report(results, _machine(server_version), sizes)
    finally:
        for connection in raw:
            await connection.close()
        if anchor is not None:
            anchor.close()
        await pool.close()
        await _drop_database(dsn, name)


# --- reporting ------------------------------------------------------------------------------


def _report(results: Results, machine: dict[str, Any], sizes: Sizes) -> dict[str, Any]:
    workloads: dict[str, dict[str, Any]] = {}
    for workload, contenders in results.rounds.items():
        workloads[workload] = {
            contender: {"median": statistics.median(rates), "rounds": rates}
            for contender, rates in contenders.items()
        }
    for workload, figures in results.figures.items():
        workloads.setdefault(workload, {}).update(figures)
    targets = []
    for target in TARGETS:
        value = _target_value(results, target)
        met = (
            None
            if value is None
            else (value <= -target.minimum if target.minimum < 0 else value >= target.minimum)
        )
        targets.append(
            {
                "name": target.name,
                "value": value,
                "target": abs(target.minimum),
                "unit": target.unit,
                "kind": "at most" if target.minimum < 0 else "at least",
                "met": met,
            }
        )
    span_us = results.figures.get("span", {}).get("overhead_us")
    single = results.median("append_1", "pathways")
    replay = results.median("replay", "pathways")
    spans: dict[str, float] = {}
    if span_us is not None and single:
        spans["share_of_single_append"] = span_us / (1e6 / single)
    if span_us is not None and replay:
        # read_stream opens one span for the whole stream; read_all one per batch of 1,000.
        spans["share_of_replay_per_1000_events"] = span_us / (1e6 / replay * 1000)
    return {
        "machine": machine,
        "sizes": sizes.__dict__,
        "workloads": workloads,
        "targets": targets,
        "spans": {"overhead_us": span_us, **spans},
        "notes": results.notes,
    }


def _target_value(results: Results, target: Target) -> float | None:
    if target.minimum < 0:
        figures = results.figures.get(target.workload)
        return None if figures is None else figures.get(target.measure)
    ours = results.median(target.workload, target.measure)
    if target.against is None or ours is None:
        return ours
    theirs = results.median(target.workload, target.against)
    return None if not theirs else ours / theirs


def _rows(report: dict[str, Any]) -> Iterator[str]:
    machine = report["machine"]
    yield (
        f"machine: {machine['cpus']} CPUs, {machine['memory_gb']} GB, PostgreSQL"
        f" {machine['postgresql']}, Python {machine['python']}"
    )
    yield ""
    yield f"{'workload':<12} {'contender':<18} {'median':>12}  rounds"
    for workload, contenders in report["workloads"].items():
        for contender, figure in contenders.items():
            if isinstance(figure, dict):
                rounds = ", ".join(f"{r:,.0f}" for r in figure["rounds"])
                yield f"{workload:<12} {contender:<18} {figure['median']:>12,.0f}  {rounds}"
            else:
                yield f"{workload:<12} {contender:<18} {figure:>12,.1f}"
    yield "(append and batch: events/s; replay and verify: events/s; million: MB, events/s)"
    yield ""
    yield f"{'target':<44} {'measured':>12} {'target':>14}  met"
    for target in report["targets"]:
        value = target["value"]
        shown = "-" if value is None else _format(value, target["unit"])
        bound = "<=" if target["kind"] == "at most" else ">="
        wanted = f"{bound} {_format(target['target'], target['unit'])}"
        met = {True: "yes", False: "NO", None: "n/a"}[target["met"]]
        yield f"{target['name']:<44} {shown:>12} {wanted:>14}  {met}"
    spans = report["spans"]
    if spans.get("overhead_us") is not None:
        yield ""
        yield (
            f"spans: {spans['overhead_us']:.1f} us each"
            f" = {spans.get('share_of_single_append', 0):.1%} of a single append,"
            f" {spans.get('share_of_replay_per_1000_events', 0):.2%} of replaying 1,000 events"
        )
    for note in report["notes"]:
        yield f"note: {note}"


def _format(value: float, unit: str) -> str:
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "MB":
        return f"{value:,.0f} MB"
    return f"{value:,.0f}/s"


# --- entry points ---------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pathways bench eventstore", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run, not figures")
    parser.add_argument("--events", type=int, help="events in the replayed stream (100,000)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds per comparison (3)")
    parser.add_argument(
        "--million",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="peak memory of replaying and verifying 1,000,000 events (default on; off if --quick)",
    )
    return parser


def _sizes(options: argparse.Namespace) -> Sizes:
    sizes = QUICK if options.quick else FULL
    million = sizes.million if options.million is None else (FULL.million if options.million else 0)
    return Sizes(
        single_appends=sizes.single_appends,
        single_appends_per_writer=sizes.single_appends_per_writer,
        batches=sizes.batches,
        replay_events=options.events or sizes.replay_events,
        rounds=options.rounds or sizes.rounds,
        million=million,
    )


def main(argv: list[str], settings: Settings) -> int:
    """Run the benchmark on the embedded PostgreSQL (or ``PATHWAYS_DATABASE_URL``)."""
    from workers import embedded_postgres
    from workers.services import ensure_postgres

    options = _parser().parse_args(argv)
    sizes = _sizes(options)
    dsn, started = ensure_postgres(settings)
    try:
        report = asyncio.run(run(dsn, sizes))
    finally:
        if started:
            embedded_postgres.stop(settings.state_dir)
    if options.json:
        print(json.dumps(report, indent=2))
    else:
        for line in _rows(report):
            print(line)
    return 0


if __name__ == "__main__":
    # Child mode: ``python -m scripts.bench.eventstore --child replay|verify DSN`` measures one
    # million-event pass in a fresh process and prints its figures as one JSON line.
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(asyncio.run(_child_run(sys.argv[2], sys.argv[3]))))
    else:
        raise SystemExit("run it as: pathways bench eventstore [--json] [--quick]")
