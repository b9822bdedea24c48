"""The demo on separately started services: a PostgreSQL by DSN and a Temporal by address."""

from __future__ import annotations

import asyncpg

from tests.e2e.conftest import RunCli


async def test_demo_uses_the_configured_postgres_and_temporal(
    run_cli: RunCli, database_url: str, temporal_address: str
) -> None:
    env = {
        "PATHWAYS_DATABASE_URL": database_url,
        "PATHWAYS_TEMPORAL_ADDRESS": temporal_address,
        "PATHWAYS_TASK_QUEUE": "demo-external",
    }
    first = run_cli("demo", env=env)
    assert first.returncode == 0, first.stderr
    assert f"temporal: {temporal_address}" in first.stdout
    assert "first contact made by" in first.stdout
    assert "the stored events fold to exactly the workflow's state: True" in first.stdout
    second = run_cli("demo", env=env)
    assert second.returncode == 0, second.stderr
    assert "pathways in the event store: 8" in second.stdout
    assert "event store verification: intact" in second.stdout

    connection = await asyncpg.connect(database_url)
    try:
        streams = await connection.fetchval("SELECT count(*) FROM eventstore.streams")
    finally:
        await connection.close()
    assert streams == 8
