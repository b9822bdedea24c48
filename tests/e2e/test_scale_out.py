"""Two worker processes on one task queue share the work, seal the log together without sealing
anything twice, and stop gracefully on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from temporalio.client import Client

from eventstore import VerificationReport, create_pool
from scripts.scenarios import Route, full_route
from tests.conftest import PAYLOAD_KEY_ENV
from tests.e2e.conftest import ROOT
from tests.keys import keyed_store
from workflows.inputs import workflow_id

PATHWAYS = 24


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "scripts.cli", "worker"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def _drive(client: Client, task_queue: str, n: int) -> None:
    route = Route(client, task_queue, f"p-scale-{task_queue}-{n}", "fast")
    await full_route(route, datetime.now(UTC))


async def _identities(client: Client, task_queue: str) -> set[str]:
    identities: set[str] = set()
    for n in range(PATHWAYS):
        handle = client.get_workflow_handle(workflow_id(f"p-scale-{task_queue}-{n}"))
        history = await handle.fetch_history()
        for event in history.events:
            if event.HasField("activity_task_started_event_attributes"):
                identities.add(event.activity_task_started_event_attributes.identity)
    return identities


async def _sealed_report(database_url: str, data_dir: Path) -> VerificationReport:
    """Verify, with the workers' chain key and seal key, once their sealing loops have caught up
    with every stored event."""
    pool = await create_pool(database_url)
    try:
        for _ in range(120):
            report = await keyed_store(pool).verify()
            if report.unsealed_events == 0:
                return report
            await asyncio.sleep(0.5)
        return report
    finally:
        await pool.close()


async def test_two_workers_share_one_task_queue(
    temporal_client: Client,
    temporal_address: str,
    database_url: str,
    task_queue: str,
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAYS_")}
    env |= {
        "PATHWAYS_DATABASE_URL": database_url,
        "PATHWAYS_TEMPORAL_ADDRESS": temporal_address,
        "PATHWAYS_TASK_QUEUE": task_queue,
        "PATHWAYS_DATA_DIR": str(tmp_path / "data"),
        "PATHWAYS_SEAL_INTERVAL_SECONDS": "0.5",
        **PAYLOAD_KEY_ENV,
    }
    workers = [_start_worker(env, tmp_path / f"worker-{i}.log") for i in range(2)]
    try:
        await asyncio.gather(*(_drive(temporal_client, task_queue, n) for n in range(PATHWAYS)))
        identities = await _identities(temporal_client, task_queue)
        report = await _sealed_report(database_url, tmp_path / "data")
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        codes = [worker.wait(timeout=60) for worker in workers]

    assert len(identities) == 2, identities
    assert report.ok, report.first_failure
    assert report.unsealed_events == 0, report
    assert report.seals_checked >= 1, report
    assert (report.chain_keyed, report.signatures_checked) == (True, True)
    assert codes == [0, 0], [(tmp_path / f"worker-{i}.log").read_text() for i in range(2)]
