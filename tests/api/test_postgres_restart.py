"""PostgreSQL restarted under load: clients see 200 or 503 with Retry-After, never 500, and a
retry with the same key after the restart gets its answer; no key stays in progress (issue 12)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.api.conftest import Parties, command, opening
from tests.e2e.conftest import ROOT
from workers import embedded_postgres

P = "p-restart-0001"
COMMANDS = 40


def _start_elsewhere(data_dir: Path) -> None:
    script = (
        "import pathlib; from workers import embedded_postgres;"
        f" embedded_postgres.start(pathlib.Path({str(data_dir)!r}))"
    )
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, timeout=120)


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[Path]:
    """A PostgreSQL of this test's own (the session's is shared and must not restart)."""
    data_dir = tmp_path / "pg"
    embedded_postgres.start(data_dir)
    yield data_dir
    embedded_postgres.stop(data_dir)


@pytest.fixture
def database_url(own_postgres: Path) -> str:
    """The API fixtures' database, on the PostgreSQL this test restarts."""
    return embedded_postgres.start(own_postgres)


async def test_a_postgresql_restart_under_load_answers_503_with_retry_after_never_500(
    parties: Parties, pool: asyncpg.Pool, own_postgres: Path
) -> None:
    coordinator = parties.coordinator
    assert (await coordinator.post("/caseworker/pathways", opening(P))).status_code == 201
    answers: list[tuple[int, str, httpx.Response]] = []

    async def restart() -> None:
        await asyncio.sleep(0.3)
        assert await asyncio.to_thread(embedded_postgres.stop, own_postgres)
        await asyncio.sleep(1.0)
        # Started again from a process of its own, as `pathways dev up` would (pgserver keeps a
        # per-process registry of the servers it started, which this process's stop bypassed).
        await asyncio.to_thread(_start_elsewhere, own_postgres)

    async def read() -> None:
        # Reads go on while commands wait: a command sent while PostgreSQL is down waits in its
        # workflow (the append activity retries) and may well answer 200 after the restart.
        for _ in range(120):
            answers.append((-1, "", await coordinator.get(f"/caseworker/pathways/{P}")))
            await asyncio.sleep(0.02)

    async def write() -> None:
        for n in range(COMMANDS):
            key = f"restart-key-{n:04d}"
            answers.append(
                (
                    n,
                    key,
                    await coordinator.post(
                        f"/caseworker/pathways/{P}/commands",
                        command("RecordWorkAspiration", text=f"aspiration {n}"),
                        key=key,
                    ),
                )
            )
            await asyncio.sleep(0.03)

    await asyncio.gather(restart(), read(), write())

    statuses = [r.status_code for _, _, r in answers]
    assert 500 not in statuses, statuses
    assert 503 in statuses  # the restart did fall inside the load
    assert set(statuses) <= {200, 503}, statuses
    for _, _, response in answers:
        if response.status_code == 503:
            assert response.headers["Retry-After"].isdigit()

    # After the restart, every command refused with 503 is retried with its key and answered.
    for n, key, response in answers:
        if response.request.method == "POST" and response.status_code == 503:
            retried = await coordinator.post(
                f"/caseworker/pathways/{P}/commands",
                command("RecordWorkAspiration", text=f"aspiration {n}"),
                key=key,
            )
            assert retried.status_code == 200, retried.text
    assert (
        await pool.fetchval("SELECT count(*) FROM api.idempotency_keys WHERE completed_at IS NULL")
        == 0
    )
    recorded = await pool.fetchval(
        "SELECT count(*) FROM eventstore.events WHERE type = 'WorkAspirationRecorded'"
    )
    assert recorded == COMMANDS
