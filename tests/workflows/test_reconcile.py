"""Temporal's database is lost while pathways are open; ``reconcile --repair`` restarts every
pathway's workflow from the event store, and its deadlines fire again (issue 12)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from domain.commands import RecordAdmission, RecordDischarge, RequestHandover
from domain.tracks import Responsibility
from scripts.scenarios import Route
from tests.conftest import PAYLOAD_KEY_ENV
from tests.e2e.conftest import ROOT
from tests.keys import keyed_store
from workers import dev_server
from workers.pathway_client import execute, pathway_handle
from workers.settings import Settings
from workers.temporal_client import connect_temporal
from workers.worker import build_worker

PATHWAYS = 3


@pytest.fixture
async def own_temporal(temporal_cli: Path, tmp_path: Path) -> AsyncIterator[tuple[str, Path]]:
    """A dev server of this test's own, keeping its state in a file the test can lose."""
    files = dev_server.DevServerFiles(tmp_path / "temporal")
    port = dev_server.free_port()
    dev_server.start(temporal_cli, files, port=port, ui_port=None, persistent=True)
    yield f"127.0.0.1:{port}", temporal_cli
    dev_server.stop(files)


def _lose_temporal_database(cli: Path, files: dev_server.DevServerFiles, port: int) -> None:
    dev_server.stop(files)
    files.db_file.unlink()
    dev_server.start(cli, files, port=port, ui_port=None, persistent=True)


def _reconcile_cli(
    *options: str, database_url: str, address: str, task_queue: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAYS_")}
    env |= PAYLOAD_KEY_ENV | {
        "PATHWAYS_DATABASE_URL": database_url,
        "PATHWAYS_TEMPORAL_ADDRESS": address,
        "PATHWAYS_TASK_QUEUE": task_queue,
    }
    return subprocess.run(
        [sys.executable, "-m", "scripts.cli", "reconcile", "--json", *options],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


async def _pathways_missing_deadline(
    pool: asyncpg.Pool, subject: str, *, expected: int, seconds: float
) -> int:
    """How many pathways recorded a missed deadline for ``subject`` (waits for ``expected``)."""
    found = 0
    for _ in range(int(seconds * 10)):
        found = int(
            await pool.fetchval(
                "SELECT count(DISTINCT stream_id) FROM eventstore.events"
                " WHERE type = 'DeadlineMissed' AND payload->>'subject' = $1",
                subject,
            )
        )
        if found >= expected:
            break
        await asyncio.sleep(0.1)
    return found


async def test_a_lost_temporal_database_loses_no_pathway(
    own_temporal: tuple[str, Path],
    pool: asyncpg.Pool,
    database_url: str,
    task_queue: str,
    tmp_path: Path,
) -> None:
    address, cli = own_temporal
    port = int(address.rsplit(":", 1)[1])
    files = dev_server.DevServerFiles(tmp_path / "temporal")
    client = await connect_temporal(Settings(), address)
    routes = [
        Route(client, task_queue, f"p-lost-{n}-{task_queue}", "fast") for n in range(PATHWAYS)
    ]
    async with build_worker(client, pool, task_queue=task_queue, store=keyed_store(pool)):
        for route in routes:
            await route.open()
            await route.do(
                RecordAdmission(actor="ward-1", hospital_org=route.orgs.hospital, ward_type="acute")
            )
            await route.do(RecordDischarge(actor="ward-1", suicide_risk_identified=False))
    stored_before = await pool.fetchval("SELECT count(*) FROM eventstore.events")

    await asyncio.to_thread(_lose_temporal_database, cli, files, port)

    found = await asyncio.to_thread(
        _reconcile_cli, database_url=database_url, address=address, task_queue=task_queue
    )
    assert found.returncode == 1, found.stderr
    report = json.loads(found.stdout)
    assert sorted(d["pathway_id"] for d in report["differences"]) == sorted(
        r.pathway_id for r in routes
    )
    assert {d["difference"] for d in report["differences"]} == {"workflow_missing"}
    assert await pool.fetchval("SELECT count(*) FROM eventstore.events") == stored_before

    repaired = await asyncio.to_thread(
        _reconcile_cli,
        "--repair",
        database_url=database_url,
        address=address,
        task_queue=task_queue,
    )
    assert repaired.returncode == 0, repaired.stderr
    assert all(d["repaired"] for d in json.loads(repaired.stdout)["differences"])

    # The restarted workflows agree with the store, take commands at its version, and their
    # clocks run.
    client = await connect_temporal(Settings(), address)
    async with build_worker(client, pool, task_queue=task_queue, store=keyed_store(pool)):
        again = await asyncio.to_thread(
            _reconcile_cli, database_url=database_url, address=address, task_queue=task_queue
        )
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["differences"] == []
        for route in routes:
            await execute(
                pathway_handle(client, route.pathway_id),
                RequestHandover(
                    actor="cw-0001",
                    handover_id="h-after-loss",
                    responsibility=Responsibility.SOCIAL,
                    from_org=route.orgs.hospital,
                    to_org=route.orgs.municipality,
                ),
            )
        # The fast template's acknowledge clock is 2 s: it is missed, and recorded.
        missed = await _pathways_missing_deadline(
            pool, "h-after-loss", expected=PATHWAYS, seconds=30
        )
        assert missed == PATHWAYS
    assert (await keyed_store(pool).verify()).ok
