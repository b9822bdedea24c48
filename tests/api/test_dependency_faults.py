"""A dependency fault is 503 with Retry-After, never 500 (issue 12)."""

from __future__ import annotations

import asyncio

import asyncpg

from tests.api.conftest import Parties, command, opening

P = "p-faults-0001"


async def test_backends_terminated_under_load_answer_503_with_retry_after_never_500(
    parties: Parties, pool: asyncpg.Pool, database_url: str
) -> None:
    coordinator = parties.coordinator
    assert (await coordinator.post("/caseworker/pathways", opening(P))).status_code == 201
    killer = await asyncpg.connect(database_url)
    statuses: list[int] = []
    try:

        async def kill_backends() -> None:
            for _ in range(15):
                await killer.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                await asyncio.sleep(0.05)

        async def load() -> None:
            for n in range(40):
                read = await coordinator.get(f"/caseworker/pathways/{P}")
                statuses.append(read.status_code)
                if read.status_code == 503:
                    assert read.headers["Retry-After"].isdigit()
                    assert read.json()["error"]["code"] == "service_unavailable"
                written = await coordinator.post(
                    f"/caseworker/pathways/{P}/commands",
                    command("RecordWorkAspiration", text=f"aspiration {n}"),
                    key=f"aspiration-key-{n:04d}",
                )
                statuses.append(written.status_code)
                if written.status_code == 503:
                    assert written.headers["Retry-After"].isdigit()

        await asyncio.gather(kill_backends(), load())
    finally:
        await killer.close()

    assert 500 not in statuses, statuses
    assert set(statuses) <= {200, 503}, statuses
