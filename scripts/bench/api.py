"""``pathways bench api [--pathways N] [--requests N] [--handovers N] [--quick] [--json]``.

Measures the HTTP API as a client sees it, on the embedded stack (or the configured services), in
a scratch database that is dropped afterwards:

1. **reads**: ``--pathways`` synthetic pathways' projection rows are written with COPY
   (``api.projections.seed``); then ``GET /caseworker/caseload`` and ``GET /agency/inbox`` are
   timed ``--requests`` times each, one request at a time, rotating over ten case workers' and
   ten agencies' tokens. Each read also appends its entry to the hash-chained access log, as in
   production, so that cost is in the figures. Target: p99 under 50 ms.
2. **handover accept**: ``--handovers`` real pathways are opened through the API with a worker of
   the product running in this process; each gets a handover requested by the hospital and
   acknowledged by the municipality (untimed), then ``POST .../accept`` is timed one at a time:
   API (token, visibility read of the stream, domain pre-check, idempotency key) -> Temporal
   update -> workflow -> append activity -> PostgreSQL -> response.

The API runs as ``pathways api`` runs it, in a uvicorn server of its own (a subprocess, one
process, the projections runner off), and is reached over loopback with an ``httpx.AsyncClient``
on one keep-alive connection: the figures include HTTP parsing and the server's own event loop,
and the client's work does not share the server's interpreter. Figures are printed, never
asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import logging
import os
import secrets
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import httpx

from api.access_log import AccessEntry, append_access
from api.auth.principals import Role
from api.auth.tokens import issue_token
from api.organisations import add_organisation
from api.projections.seed import (
    COORDINATOR_ORG,
    SeedSummary,
    coordinator_id,
    organisation_id,
    seed_projection_rows,
)
from eventstore import create_pool
from eventstore.connections import Connection
from scripts.bench.common import (
    Say,
    memory_total_mb,
    scratch_database,
    scratch_store,
    terminate_workflows,
)
from scripts.scenarios import COORDINATOR, SUPERVISOR, orgs_for
from workers.dev_server import free_port
from workers.services import open_services
from workers.settings import Settings, load_settings
from workers.temporal_client import connect_temporal, route_core_logs_to_python
from workers.worker import build_worker, prepare_database

if TYPE_CHECKING:
    from fastapi import FastAPI

ROOT = Path(__file__).resolve().parents[2]
TARGET_P99_MS = 50.0
TEMPLATE = "nl"  # clocks in days: no deadline fires while the bench runs
WARM_UP = 20  # untimed requests per endpoint (connection, prepared statements, imports)
PRINCIPALS = 10  # tokens per read endpoint, used in turn
OPEN_CONCURRENCY = 8
SERVER_START_SECONDS = 120


@dataclass(frozen=True)
class Sizes:
    """How much the bench does."""

    pathways: int
    requests: int
    handovers: int


@dataclass(frozen=True)
class Latency:
    """One measured endpoint: how many requests, what they returned, and their latencies."""

    name: str
    endpoint: str
    requests: int
    items_per_response: float
    mean_ms: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pathways bench api", description=__doc__)
    parser.add_argument("--pathways", type=int, default=None, help="seeded pathways (100000)")
    parser.add_argument("--requests", type=int, default=None, help="timed reads each (2000)")
    parser.add_argument("--handovers", type=int, default=None, help="timed accepts (200)")
    parser.add_argument("--quick", action="store_true", help="small sizes (2000, 100, 5)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    return parser


def main(argv: list[str], settings: Settings) -> int:
    """Run the bench; prints a table (or JSON with ``--json``) and returns the exit code."""
    options = _parser().parse_args(argv)
    sizes = Sizes(
        pathways=options.pathways or (2_000 if options.quick else 100_000),
        requests=options.requests or (100 if options.quick else 2_000),
        handovers=options.handovers or (5 if options.quick else 200),
    )
    if min(sizes.pathways, sizes.requests, sizes.handovers) < 1:
        print("pathways bench api: sizes must be positive", file=sys.stderr)
        return 2

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    route_core_logs_to_python()  # --json stays parseable when the worker warns of a slow task
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request drowns the progress
    report = asyncio.run(_bench(settings, sizes, say=say))
    print(json.dumps(report) if options.json else _table(report))
    return 0


def bench_app() -> FastAPI:
    """The app as ``pathways api`` builds it, without the projections runner (uvicorn factory).

    The bench's seeded rows have no events behind them, and a projector catching up in the
    background would compete with the reads being measured.
    """
    from api.app import create_app
    from workers.telemetry import configure_telemetry

    settings = load_settings()
    configure_telemetry(settings, service_name="pathways-api-bench")
    return create_app(settings, run_projections=False)


async def _bench(settings: Settings, sizes: Sizes, *, say: Say) -> dict[str, Any]:
    run = secrets.token_hex(3)
    queue = f"bench-{run}-api"
    async with (
        open_services(settings, progress=say) as services,
        scratch_database(services.database_url, f"pathways_bench_api_{run}") as dsn,
    ):
        pool = await create_pool(dsn)
        client = await connect_temporal(settings, services.temporal_address)
        try:
            await prepare_database(pool)
            say(f"seeding {sizes.pathways} pathways' projection rows (COPY)")
            started = time.perf_counter()
            async with pool.acquire() as conn:
                seeded = await seed_projection_rows(
                    conn, pathways=sizes.pathways, now=datetime.now(UTC)
                )
            seed_seconds = time.perf_counter() - started
            env = {
                "PATHWAYS_DATABASE_URL": dsn,
                "PATHWAYS_TEMPORAL_ADDRESS": services.temporal_address,
                "PATHWAYS_TEMPORAL_NAMESPACE": settings.temporal_namespace,
                "PATHWAYS_TASK_QUEUE": queue,
                "PATHWAYS_LOG_LEVEL": "WARNING",
            }
            async with (
                _api_server(env, say) as base_url,
                httpx.AsyncClient(base_url=base_url, timeout=60) as http,
            ):
                caseworkers = [
                    await _token(pool, Role.CASEWORKER, COORDINATOR_ORG, coordinator_id(k))
                    for k in range(min(PRINCIPALS, seeded.coordinators))
                ]
                agencies = [
                    await _token(pool, Role.AGENCY, organisation_id(k), None)
                    for k in range(min(PRINCIPALS, seeded.organisations))
                ]
                logged_before = await _access_log_size(pool)
                say(f"reads: {sizes.requests} x GET /caseworker/caseload, GET /agency/inbox")
                caseload = await _reads(
                    http, "caseload", "/caseworker/caseload", caseworkers, sizes.requests
                )
                inbox = await _reads(http, "inbox", "/agency/inbox", agencies, sizes.requests)
                logged = await _access_log_size(pool) - logged_before
                say(f"parts: {sizes.requests} x each query and an access-log append, in-process")
                parts = await _parts(pool, seeded, sizes.requests)
                say(f"handover accept: {sizes.handovers} round trips")
                async with build_worker(client, pool, task_queue=queue, store=scratch_store(pool)):
                    accept = await _handover_accepts(http, pool, run, sizes.handovers)
        finally:
            await terminate_workflows(client, [queue], say)
            await pool.close()
    return {
        "nproc": os.cpu_count(),
        "memory_total_mb": memory_total_mb(),
        "server": f"uvicorn subprocess (1 process, {_event_loop()} loop); httpx over loopback, "
        "one keep-alive connection, one request at a time",
        "pathways": seeded.pathways,
        "coordinators": seeded.coordinators,
        "organisations": seeded.organisations,
        "seed_seconds": round(seed_seconds, 2),
        "warm_up_requests": WARM_UP,
        "target_p99_ms": TARGET_P99_MS,
        "reads": {"caseload": asdict(caseload), "inbox": asdict(inbox)},
        "access_log_entries_written": logged,
        "parts": {part.name: asdict(part) for part in parts},
        "handover_accept": asdict(accept),
    }


async def _token(pool: asyncpg.Pool, role: Role, organisation: str, subject: str | None) -> str:
    async with pool.acquire() as conn:
        # The benchmark's synthetic organisations are registered as it names them.
        await add_organisation(conn, org_id=organisation, display_name="benchmark organisation")
        issued = await issue_token(
            conn,
            role=role,
            organisation_id=organisation,
            subject_id=subject,
            expires_in=timedelta(days=1),
        )
    return issued.token


async def _access_log_size(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM api.access_log"))


def _bearer(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


async def _reads(
    http: httpx.AsyncClient, name: str, path: str, tokens: Sequence[str], requests: int
) -> Latency:
    """``requests`` timed GETs of ``path`` after ``WARM_UP`` untimed ones, tokens in turn."""
    latencies: list[float] = []
    items = 0
    for i in range(WARM_UP + requests):
        started = time.perf_counter()
        response = await http.get(path, headers=_bearer(tokens[i % len(tokens)]))
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:300]}")
        if i >= WARM_UP:
            latencies.append(elapsed)
            items += len(response.json()["items"])
    return _latency(name, f"GET {path}", latencies, items)


async def _parts(pool: asyncpg.Pool, seeded: SeedSummary, requests: int) -> list[Latency]:
    """The reads' main parts timed alone through the pool, without HTTP, tokens or JSON: the
    projection queries, and an access-log append naming 100 pathways (an inbox page's entry)."""
    from api.projections import queries

    entry = AccessEntry(
        principal_id="tok-bench",
        role=Role.AGENCY.value,
        organisation_id=organisation_id(0),
        subject_id=organisation_id(0),
        purpose="COC",
        action="query",
        resource="GET /agency/inbox",
        pathway_ids=[f"p-bench-{i:07d}" for i in range(100)],
    )
    work: dict[str, tuple[str, Callable[[Connection, int], Awaitable[int]]]] = {
        "caseload_query": (
            "SQL projections.caseload page",
            lambda conn, k: _count(
                queries.caseload(
                    conn,
                    coordinator_id=coordinator_id(k % seeded.coordinators),
                    coordinator_org=COORDINATOR_ORG,
                )
            ),
        ),
        "inbox_query": (
            "SQL projections.agency_inbox page",
            lambda conn, k: _count(
                queries.inbox(conn, organisation_id=organisation_id(k % seeded.organisations))
            ),
        ),
        "access_log_append": (
            "access-log append (one entry)",
            lambda conn, _: _count(append_access(conn, [entry])),
        ),
    }
    measured = []
    for name, (label, one) in work.items():
        latencies: list[float] = []
        items = 0
        async with pool.acquire() as conn:
            for k in range(WARM_UP + requests):
                started = time.perf_counter()
                got = await one(conn, k % PRINCIPALS)
                if k >= WARM_UP:
                    latencies.append(time.perf_counter() - started)
                    items += got
        measured.append(_latency(name, label, latencies, items))
    return measured


async def _count(rows: Awaitable[Sequence[object]]) -> int:
    return len(await rows)


async def _handover_accepts(
    http: httpx.AsyncClient, pool: asyncpg.Pool, run: str, n: int
) -> Latency:
    """Open ``n`` pathways and request and acknowledge a handover in each (untimed, some at
    once), then time each accept, one at a time."""
    orgs = orgs_for(TEMPLATE)
    coordinator = await _token(pool, Role.CASEWORKER, orgs.municipality, COORDINATOR)
    hospital = await _token(pool, Role.AGENCY, orgs.hospital, "ward-1")
    municipality = await _token(pool, Role.AGENCY, orgs.municipality, "intake-1")
    pathways = [f"p-bench-{run}-{i:04d}" for i in range(n)]
    gate = asyncio.Semaphore(OPEN_CONCURRENCY)

    async def post(token: str, path: str, body: object = None) -> dict[str, Any]:
        headers = _bearer(token, **{"Idempotency-Key": f"bench-{uuid.uuid4().hex}"})
        response = await http.post(path, headers=headers, json=body)
        if response.status_code not in {200, 201}:
            raise RuntimeError(f"POST {path}: {response.status_code} {response.text[:300]}")
        result: dict[str, Any] = response.json()
        return result

    async def prepare(pathway: str) -> None:
        async with gate:
            await post(
                coordinator,
                "/caseworker/pathways",
                {
                    "type": "OpenPathway",
                    "actor": COORDINATOR,
                    "pathway_id": pathway,
                    "template_id": TEMPLATE,
                    "template_version": 1,
                    "coordinator_id": COORDINATOR,
                    "coordinator_org": orgs.municipality,
                    "supervisor_id": SUPERVISOR,
                    "entry_channel": "hospital",
                    "tracks": {"clinical": orgs.hospital},
                },
            )
            await post(
                hospital,
                f"/agency/pathways/{pathway}/handovers",
                {
                    "handover_id": "h-social",
                    "responsibility": "social",
                    "to_org": orgs.municipality,
                },
            )
            await post(municipality, f"/agency/pathways/{pathway}/handovers/h-social/acknowledge")

    await asyncio.gather(*(prepare(p) for p in pathways))
    latencies: list[float] = []
    events = 0
    for pathway in pathways:
        started = time.perf_counter()
        result = await post(municipality, f"/agency/pathways/{pathway}/handovers/h-social/accept")
        latencies.append(time.perf_counter() - started)
        types = [e["type"] for e in result["events"]]
        if "HandoverAccepted" not in types:
            raise RuntimeError(f"accept of {pathway} appended {types}")
        events += len(types)
    return _latency(
        "handover_accept",
        "POST /agency/pathways/{pathway_id}/handovers/{handover_id}/accept",
        latencies,
        events,
    )


def _latency(name: str, endpoint: str, seconds: list[float], items: int) -> Latency:
    ordered = sorted(seconds)

    def at(percentile: int) -> float:
        # Nearest rank: the smallest latency that ``percentile`` % of requests did not exceed.
        rank = max(1, -(-percentile * len(ordered) // 100))
        return round(ordered[rank - 1] * 1000, 2)

    return Latency(
        name=name,
        endpoint=endpoint,
        requests=len(ordered),
        items_per_response=round(items / len(ordered), 1),
        mean_ms=round(sum(ordered) / len(ordered) * 1000, 2),
        p50_ms=at(50),
        p95_ms=at(95),
        p99_ms=at(99),
        max_ms=round(ordered[-1] * 1000, 2),
    )


@contextlib.asynccontextmanager
async def _api_server(env: dict[str, str], say: Say) -> AsyncIterator[str]:
    """The API in a uvicorn process of its own; yields its base URL once ``/ready`` answers."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as server_log:
        server = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "uvicorn",
            "scripts.bench.api:bench_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
            cwd=ROOT,
            env={**os.environ, **env},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=server_log,
            stderr=server_log,
        )
        try:
            say(f"api: uvicorn on {base_url} (pid {server.pid})")
            await _until_ready(base_url, server, server_log)
            yield base_url
        finally:
            if server.returncode is None:
                server.terminate()
                try:
                    async with asyncio.timeout(30):
                        await server.wait()
                except TimeoutError:
                    server.kill()
                    await server.wait()


async def _until_ready(base_url: str, server: asyncio.subprocess.Process, log: Any) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    async with httpx.AsyncClient(base_url=base_url, timeout=5) as http:
        while time.monotonic() < deadline:
            if server.returncode is not None:
                break
            with contextlib.suppress(httpx.TransportError):
                if (await http.get("/ready")).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    log.seek(0)
    tail = log.read().decode(errors="replace")[-2000:]
    raise RuntimeError(f"the API server did not become ready:\n{tail}")


def _event_loop() -> str:
    # What uvicorn's ``--loop auto`` picks in the server process (the same interpreter).
    try:
        importlib.import_module("uvloop")
    except ImportError:
        return "asyncio"
    return "uvloop"


def _table(report: dict[str, Any]) -> str:
    reads, accept = report["reads"], report["handover_accept"]
    lines = [
        f"pathways bench api: {report['pathways']} pathways in the projections "
        f"({report['coordinators']} case workers, {report['organisations']} agencies; "
        f"seeded in {report['seed_seconds']:.1f} s); nproc {report['nproc']}, "
        f"memory {report['memory_total_mb']} MB; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"server: {report['server']}; {report['warm_up_requests']} untimed warm-up reads each",
        "",
        f"{'':<36} {'requests':>8} {'items':>6} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'max ms':>8}  target",
    ]

    def row(figures: dict[str, Any], label: str, target: str) -> str:
        return (
            f"{label:<36} {figures['requests']:>8} {figures['items_per_response']:>6.1f} "
            f"{figures['p50_ms']:>8.1f} {figures['p95_ms']:>8.1f} {figures['p99_ms']:>8.1f} "
            f"{figures['max_ms']:>8.1f}  {target}"
        )

    for name in ("caseload", "inbox"):
        figures = reads[name]
        met = "met" if figures["p99_ms"] < report["target_p99_ms"] else "MISSED"
        lines.append(
            row(figures, figures["endpoint"], f"p99 < {report['target_p99_ms']:.0f} ms: {met}")
        )
    lines += [
        row(accept, "POST .../handovers/{id}/accept", "(API -> workflow -> store)"),
        "",
        "parts of a read, timed alone in the bench process (no HTTP, token or JSON):",
        *(row(part, part["endpoint"], "") for part in report["parts"].values()),
        "",
        f"access-log entries written by the reads: {report['access_log_entries_written']} "
        f"(one per read, warm-up included)",
        "items: rows per read page (caseload, inbox) or events appended per accept",
    ]
    return "\n".join(lines)
