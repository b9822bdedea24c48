"""The API process is killed with commands in flight; retries with the same keys get the first
outcome of every command that went through (issue 12), and nothing is recorded twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio.client import Client

from api.auth.principals import Role
from api.auth.tokens import issue_token
from eventstore import create_pool
from tests.api.conftest import CW, MUNICIPALITY, opening
from tests.conftest import PAYLOAD_KEY_ENV
from tests.e2e.conftest import ROOT
from tests.keys import keyed_store
from workers.dev_server import free_port
from workers.worker import build_worker, prepare_database

IN_FLIGHT = 30


class ApiProcess:
    """A real ``pathways api`` process that can be killed and started again."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self._env, self._log = env, log
        self._process: subprocess.Popen[bytes] | None = None
        self.base_url = f"http://127.0.0.1:{env['PATHWAYS_API_PORT']}"

    def _spawn(self) -> None:
        with self._log.open("ab") as out:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "scripts.cli", "api"],
                cwd=ROOT,
                env=self._env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    async def start(self) -> None:
        """Start the process and wait until it answers ``/ready``."""
        self._spawn()
        async with httpx.AsyncClient(base_url=self.base_url) as http:
            for _ in range(600):
                try:
                    if (await http.get("/ready")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError("the API did not become ready: " + self._log.read_text()[-2000:])

    def kill(self) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGKILL)
        self._process.wait(timeout=30)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=30)


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A migrated pool on the test's database (the API process would migrate it too)."""
    pool = await create_pool(database_url)
    await prepare_database(pool)
    yield pool
    await pool.close()


@pytest.fixture
async def api(
    database_url: str, temporal_address: str, task_queue: str, tmp_path: Path
) -> AsyncIterator[ApiProcess]:
    """The API as its own process on the test's database, Temporal and task queue."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAYS_")}
    env |= PAYLOAD_KEY_ENV | {
        "PATHWAYS_DATA_DIR": str(tmp_path / "data"),
        "PATHWAYS_DATABASE_URL": database_url,
        "PATHWAYS_TEMPORAL_ADDRESS": temporal_address,
        "PATHWAYS_TASK_QUEUE": task_queue,
        "PATHWAYS_API_PORT": str(free_port()),
        "PATHWAYS_LOG_FORMAT": "json",
    }
    process = ApiProcess(env, tmp_path / "api.log")
    await process.start()
    yield process
    process.stop()


Send = Callable[[httpx.AsyncClient, int], Coroutine[Any, Any, httpx.Response]]


async def _kill_mid_flight(
    api: ApiProcess, token: str, send: Send, pool: asyncpg.Pool, event_type: str
) -> None:
    """Send IN_FLIGHT requests at once and SIGKILL the API as soon as the first of them has
    reached the store (``event_type`` appears), while the rest are under way."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=api.base_url, headers=headers, timeout=60) as http:
        tasks = [asyncio.create_task(send(http, n)) for n in range(IN_FLIGHT)]
        for _ in range(3000):
            if await pool.fetchval(
                "SELECT count(*) FROM eventstore.events WHERE type = $1", event_type
            ):
                break
            await asyncio.sleep(0.01)
        api.kill()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _unanswered_but_applied(pool: asyncpg.Pool, event_type: str) -> int:
    """Keys left without an answer whose command is nevertheless in the store."""
    return int(
        await pool.fetchval(
            """
            SELECT count(*) FROM api.idempotency_keys k
            WHERE k.completed_at IS NULL AND EXISTS (
                SELECT FROM eventstore.events e
                WHERE e.type = $1
                  AND e.stream_id = 'pathway-p-crash-' || split_part(k.idempotency_key, '-', 2)
            )
            """,
            event_type,
        )
    )


async def test_retries_after_the_api_was_killed_get_the_first_outcome_of_every_command(
    pool: asyncpg.Pool, api: ApiProcess, temporal_client: Client, task_queue: str
) -> None:
    async with pool.acquire() as conn:
        issued = await issue_token(
            conn,
            role=Role.CASEWORKER,
            organisation_id=MUNICIPALITY,
            subject_id=CW,
            expires_in=timedelta(days=1),
        )
    headers = {"Authorization": f"Bearer {issued.token}"}

    async def open_one(http: httpx.AsyncClient, n: int) -> httpx.Response:
        return await http.post(
            "/caseworker/pathways",
            json=opening(f"p-crash-{n:04d}"),
            headers={"Idempotency-Key": f"open-{n:04d}-key"},
        )

    async def aspire(http: httpx.AsyncClient, n: int) -> httpx.Response:
        return await http.post(
            f"/caseworker/pathways/p-crash-{n:04d}/commands",
            json={"type": "RecordWorkAspiration", "actor": CW, "text": f"aspiration {n}"},
            headers={"Idempotency-Key": f"aspire-{n:04d}-key"},
        )

    async with build_worker(temporal_client, pool, task_queue=task_queue, store=keyed_store(pool)):
        # Opens in flight when the API dies; then every open retried with its own key.
        await _kill_mid_flight(api, issued.token, open_one, pool, "PathwayOpened")
        opens_cut_off = await _unanswered_but_applied(pool, "PathwayOpened")
        await api.start()
        async with httpx.AsyncClient(base_url=api.base_url, headers=headers, timeout=60) as http:
            retried = [await open_one(http, n) for n in range(IN_FLIGHT)]
        assert [r.status_code for r in retried] == [201] * IN_FLIGHT, [
            r.text for r in retried if r.status_code != 201
        ]

        # Commands in flight when the API dies; then every command retried with its own key.
        await _kill_mid_flight(api, issued.token, aspire, pool, "WorkAspirationRecorded")
        commands_cut_off = await _unanswered_but_applied(pool, "WorkAspirationRecorded")
        await api.start()
        async with httpx.AsyncClient(base_url=api.base_url, headers=headers, timeout=60) as http:
            answers = [await aspire(http, n) for n in range(IN_FLIGHT)]
            again = [await aspire(http, n) for n in range(IN_FLIGHT)]
        assert [r.status_code for r in answers] == [200] * IN_FLIGHT, [
            r.text for r in answers if r.status_code != 200
        ]
        assert [r.json() for r in again] == [r.json() for r in answers]
        for answer in answers:
            assert [e["type"] for e in answer.json()["events"]] == ["WorkAspirationRecorded"]

    # The kill landed between a command reaching the workflow and its answer at least once
    # (otherwise this test proved nothing about that window).
    assert opens_cut_off + commands_cut_off > 0
    recorded = await pool.fetch(
        "SELECT stream_id, type, count(*) AS n FROM eventstore.events"
        " WHERE type IN ('PathwayOpened', 'WorkAspirationRecorded') GROUP BY stream_id, type"
    )
    assert len(recorded) == 2 * IN_FLIGHT
    assert {r["n"] for r in recorded} == {1}
