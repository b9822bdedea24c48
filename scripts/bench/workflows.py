"""``pathways bench workflows [--pathways N] [--open N] [--quick] [--skip-memory] [--json]``.

Measures, on the embedded stack (or the configured services), what the pathway workflow costs over
bare Temporal, and what a worker holding many open pathways weighs:

1. **baseline**: N trivial workflows, each taking the same number of updates and running the same
   number of activities as a handover round trip, with no domain and no store
   (``scripts.bench.baseline``);
2. **pathways**: N pathways driven through one warm handover (request, acknowledge, accept, first
   contact: 4 updates, 5 activities: four appends and the inbox notice), all concurrently;
3. **memory**: the resident memory of a separate ``pathways worker`` process after it opened
   ``--open`` pathways (the SDK keeps at most 1,000 workflows in its cache; the rest are replayed
   when they next have work).

Figures are printed, never asserted: targets are pathways at most 1.3x the baseline's time and a
worker under 1 GB. The bench writes into a scratch database that it drops afterwards, and
terminates its workflows, so the data directory's pathways are left alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from temporalio.client import Client
from temporalio.worker import Worker

from domain.tracks import Responsibility
from eventstore import create_pool
from scripts.bench.baseline import BaselineWorkflow, noop
from scripts.bench.common import (
    Say,
    memory_total_mb,
    scratch_database,
    scratch_store,
    terminate_workflows,
)
from scripts.scenarios import Route, handover_receipt, handover_request
from workers.pathway_client import execute
from workers.services import open_services
from workers.settings import Settings
from workers.temporal_client import connect_temporal, route_core_logs_to_python
from workers.worker import WORKFLOW_TASK_SLOTS, build_worker, prepare_database

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = "nl"  # clocks in days: no deadline fires while the bench runs
UPDATES_PER_PATHWAY = 4
ACTIVITIES_PER_UPDATE = (2, 1, 1, 1)  # the request also delivers the receiver's inbox notice
TARGET_RATIO = 1.3
TARGET_RSS_MB = 1024
SDK_CACHED_WORKFLOWS = 1000  # temporalio.worker.Worker's max_cached_workflows default
OPEN_CONCURRENCY = 100


@dataclass(frozen=True)
class Phase:
    """One measured phase: how many update round trips, how long, and their latencies."""

    name: str
    workflows: int
    updates: int
    activities: int
    seconds: float
    updates_per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float


@dataclass(frozen=True)
class Memory:
    """The worker process's resident memory with many open pathways."""

    open_pathways: int
    seconds_to_open: float
    rss_mb: float
    peak_rss_mb: float
    cached_workflows_limit: int
    target_mb: int


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pathways bench workflows", description=__doc__)
    parser.add_argument("--pathways", type=int, default=None, help="pathways driven (200)")
    parser.add_argument("--open", type=int, default=None, help="pathways kept open (10000)")
    parser.add_argument("--quick", action="store_true", help="small sizes (20 and 200)")
    parser.add_argument("--skip-memory", action="store_true", help="skip the open-pathways RSS")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    return parser


def main(argv: list[str], settings: Settings) -> int:
    """Run the bench; prints a table (or JSON with ``--json``) and returns the exit code."""
    options = _parser().parse_args(argv)
    pathways = options.pathways or (20 if options.quick else 200)
    open_n = options.open or (200 if options.quick else 10_000)
    if pathways < 1 or open_n < 1:
        print("pathways bench workflows: --pathways and --open must be positive", file=sys.stderr)
        return 2

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    route_core_logs_to_python()
    report = asyncio.run(
        _bench(settings, pathways, None if options.skip_memory else open_n, say=say)
    )
    if options.json:
        print(json.dumps(report))
    else:
        print(_table(report))
    return 0


async def _bench(
    settings: Settings, pathways: int, open_n: int | None, *, say: Say
) -> dict[str, object]:
    run = secrets.token_hex(3)
    async with (
        open_services(settings, progress=say) as services,
        scratch_database(services.database_url, f"pathways_bench_{run}") as dsn,
    ):
        pool = await create_pool(dsn)
        client = await connect_temporal(settings, services.temporal_address)
        queues = [f"bench-{run}-{name}" for name in ("baseline", "pathways", "memory")]
        try:
            await prepare_database(pool)
            say(f"baseline: {pathways} bare workflows x {UPDATES_PER_PATHWAY} updates")
            baseline = await _baseline(client, queues[0], run, pathways)
            say(f"pathways: {pathways} handover round trips")
            measured = await _pathways(client, pool, queues[1], run, pathways)
            memory = None
            if open_n is not None:
                say(f"memory: a worker process opening {open_n} pathways")
                memory = await _memory(
                    settings,
                    client,
                    pool,
                    dsn=dsn,
                    address=services.temporal_address,
                    queue=queues[2],
                    run=run,
                    n=open_n,
                )
        finally:
            await terminate_workflows(client, queues, say)
            await pool.close()
    return {
        "nproc": os.cpu_count(),
        "memory_total_mb": memory_total_mb(),
        "pathways": pathways,
        "updates_per_pathway": UPDATES_PER_PATHWAY,
        "activities_per_pathway": sum(ACTIVITIES_PER_UPDATE),
        "baseline": asdict(baseline),
        "pathway_workflow": asdict(measured),
        "ratio": round(measured.seconds / baseline.seconds, 3),
        "target_ratio": TARGET_RATIO,
        "memory": asdict(memory) if memory else None,
    }


async def _timed_rounds(
    workflows: int, send: Callable[[int, int], Awaitable[object]], name: str, activities: int
) -> Phase:
    """Every workflow's updates in sequence, all workflows at once; each round trip timed."""
    latencies: list[float] = []

    async def one(n: int) -> None:
        for step in range(UPDATES_PER_PATHWAY):
            started = time.perf_counter()
            await send(n, step)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(workflows)))
    seconds = time.perf_counter() - started
    latencies.sort()
    return Phase(
        name=name,
        workflows=workflows,
        updates=len(latencies),
        activities=activities,
        seconds=round(seconds, 3),
        updates_per_second=round(len(latencies) / seconds, 1),
        p50_ms=_percentile_ms(latencies, 50),
        p95_ms=_percentile_ms(latencies, 95),
        p99_ms=_percentile_ms(latencies, 99),
    )


async def _baseline(client: Client, queue: str, run: str, n: int) -> Phase:
    # Tuned as the product's worker is, so the ratio measures the domain and the store only.
    async with Worker(
        client,
        task_queue=queue,
        workflows=[BaselineWorkflow],
        activities=[noop],
        max_concurrent_workflow_tasks=WORKFLOW_TASK_SLOTS,
    ):
        handles = await asyncio.gather(
            *(
                client.start_workflow(
                    BaselineWorkflow.run, id=f"bench-{run}-b-{i}", task_queue=queue
                )
                for i in range(n)
            )
        )
        # Untimed: the first workflow task of every run, as the pathways' opening is untimed.
        await asyncio.gather(*(h.execute_update(BaselineWorkflow.step, 0) for h in handles))

        async def send(i: int, step: int) -> object:
            return await handles[i].execute_update(
                BaselineWorkflow.step, ACTIVITIES_PER_UPDATE[step]
            )

        return await _timed_rounds(n, send, "baseline", n * sum(ACTIVITIES_PER_UPDATE))


async def _pathways(client: Client, pool: asyncpg.Pool, queue: str, run: str, n: int) -> Phase:
    async with build_worker(client, pool, task_queue=queue, store=scratch_store(pool)):
        routes = [Route(client, queue, f"bench-{run}-p-{i}", TEMPLATE) for i in range(n)]
        await asyncio.gather(*(r.open() for r in routes))
        await _until_opened(pool, f"pathway-bench-{run}-p-", n)
        commands = [
            [
                handover_request(r.orgs, "h-social", Responsibility.SOCIAL, r.orgs.municipality),
                *handover_receipt("h-social", r.orgs.municipality),
            ]
            for r in routes
        ]

        async def send(i: int, step: int) -> object:
            handle = routes[i].handle
            assert handle is not None
            return await execute(handle, commands[i][step])

        return await _timed_rounds(n, send, "pathways", n * sum(ACTIVITIES_PER_UPDATE))


async def _memory(
    settings: Settings,
    client: Client,
    pool: asyncpg.Pool,
    *,
    dsn: str,
    address: str,
    queue: str,
    run: str,
    n: int,
) -> Memory:
    env = dict(os.environ)
    env |= {
        "PATHWAYS_DATABASE_URL": dsn,
        "PATHWAYS_TEMPORAL_ADDRESS": address,
        "PATHWAYS_TEMPORAL_NAMESPACE": settings.temporal_namespace,
        "PATHWAYS_TASK_QUEUE": queue,
        "PATHWAYS_LOG_LEVEL": "WARNING",
    }
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "scripts.cli",
        "worker",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        started = time.perf_counter()
        gate = asyncio.Semaphore(OPEN_CONCURRENCY)

        async def open_one(i: int) -> None:
            async with gate:
                await Route(client, queue, f"bench-{run}-m-{i}", TEMPLATE).open()

        await asyncio.gather(*(open_one(i) for i in range(n)))
        await _until_opened(pool, f"pathway-bench-{run}-m-", n, within_seconds=1800)
        seconds = time.perf_counter() - started
        await asyncio.sleep(2)  # let the worker settle after its last task
        status = _proc_status(worker.pid)
    finally:
        worker.terminate()
        try:
            async with asyncio.timeout(60):
                await worker.wait()
        except TimeoutError:
            worker.kill()
            await worker.wait()
    return Memory(
        open_pathways=n,
        seconds_to_open=round(seconds, 1),
        rss_mb=round(status["VmRSS"] / 1024, 1),
        peak_rss_mb=round(status["VmHWM"] / 1024, 1),
        cached_workflows_limit=SDK_CACHED_WORKFLOWS,
        target_mb=TARGET_RSS_MB,
    )


async def _until_opened(
    pool: asyncpg.Pool, prefix: str, n: int, *, within_seconds: float = 600
) -> None:
    """Wait until ``n`` streams starting with ``prefix`` exist (each opening was stored)."""
    async with asyncio.timeout(within_seconds):
        while True:
            async with pool.acquire() as connection:
                count = await connection.fetchval(
                    "SELECT count(*) FROM eventstore.streams WHERE stream_id LIKE $1", prefix + "%"
                )
            if count >= n:
                return
            await asyncio.sleep(0.5)


def _percentile_ms(sorted_seconds: list[float], percentile: int) -> float:
    if not sorted_seconds:
        return 0.0
    index = min(len(sorted_seconds) - 1, round(percentile / 100 * (len(sorted_seconds) - 1)))
    return round(sorted_seconds[index] * 1000, 1)


def _proc_status(pid: int) -> dict[str, int]:
    """The kB figures of ``/proc/PID/status`` (VmRSS, VmHWM, ...)."""
    figures: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        parts = value.split()
        if len(parts) == 2 and parts[1] == "kB":
            figures[key] = int(parts[0])
    return figures


def _table(report: dict[str, object]) -> str:
    phases = [report["baseline"], report["pathway_workflow"]]
    lines = [
        f"pathways bench workflows: {report['pathways']} workflows x "
        f"{report['updates_per_pathway']} updates ({report['activities_per_pathway']} activities)"
        f"; nproc {report['nproc']}, memory {report['memory_total_mb']} MB; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"{'':<10} {'updates':>8} {'seconds':>8} {'updates/s':>10} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}",
    ]
    for phase in phases:
        assert isinstance(phase, dict)
        lines.append(
            f"{phase['name']:<10} {phase['updates']:>8} {phase['seconds']:>8.2f} "
            f"{phase['updates_per_second']:>10.1f} {phase['p50_ms']:>8.1f} "
            f"{phase['p95_ms']:>8.1f} {phase['p99_ms']:>8.1f}"
        )
    ratio = report["ratio"]
    assert isinstance(ratio, float)
    met = "met" if ratio <= TARGET_RATIO else "MISSED"
    lines += ["", f"time ratio pathways / baseline: {ratio:.2f} (target <= {TARGET_RATIO}: {met})"]
    memory = report["memory"]
    if isinstance(memory, dict):
        met = "met" if memory["rss_mb"] < TARGET_RSS_MB else "MISSED"
        lines.append(
            f"worker RSS with {memory['open_pathways']} open pathways: {memory['rss_mb']:.0f} MB "
            f"(peak {memory['peak_rss_mb']:.0f} MB; SDK cache holds at most "
            f"{memory['cached_workflows_limit']}; target < {TARGET_RSS_MB} MB: {met}; "
            f"opened in {memory['seconds_to_open']:.0f} s)"
        )
    else:
        lines.append("worker RSS: skipped (--skip-memory)")
    return "\n".join(lines)
