"""Two worker processes on one task queue share the work, and stop gracefully on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from temporalio.client import Client

from tests.e2e.conftest import ROOT
from workflows.inputs import HandoverStepInput, OpenPathwayInput, RequestHandoverInput, workflow_id
from workflows.pathway import PathwayWorkflow

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
    pathway_id = f"p-scale-{task_queue}-{n}"
    handle = await client.start_workflow(
        PathwayWorkflow.run,
        OpenPathwayInput(
            pathway_id=pathway_id,
            jurisdiction="DK",
            coordinator_id="cw-1",
            origin_org="org-a",
            actor="cw-1",
        ),
        id=workflow_id(pathway_id),
        task_queue=task_queue,
    )
    await handle.execute_update(
        PathwayWorkflow.request_handover,
        RequestHandoverInput(handover_id="h", track="clinical", to_org="org-b", actor="s"),
    )
    await handle.execute_update(
        PathwayWorkflow.accept_handover, HandoverStepInput(handover_id="h", actor="s")
    )
    await handle.execute_update(
        PathwayWorkflow.record_first_contact, HandoverStepInput(handover_id="h", actor="s")
    )


async def _identities(client: Client, task_queue: str) -> set[str]:
    identities: set[str] = set()
    for n in range(PATHWAYS):
        handle = client.get_workflow_handle(workflow_id(f"p-scale-{task_queue}-{n}"))
        history = await handle.fetch_history()
        for event in history.events:
            if event.HasField("activity_task_started_event_attributes"):
                identities.add(event.activity_task_started_event_attributes.identity)
    return identities


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
    }
    workers = [_start_worker(env, tmp_path / f"worker-{i}.log") for i in range(2)]
    try:
        await asyncio.gather(*(_drive(temporal_client, task_queue, n) for n in range(PATHWAYS)))
        identities = await _identities(temporal_client, task_queue)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        codes = [worker.wait(timeout=60) for worker in workers]

    assert len(identities) == 2, identities
    assert codes == [0, 0], [(tmp_path / f"worker-{i}.log").read_text() for i in range(2)]
