"""``pathways audit verify`` as an auditor runs it: exit 0 when intact, 1 naming the break."""

from __future__ import annotations

import json
import uuid

import asyncpg

from eventstore import NO_STREAM, EventMetadata, NewEvent, create_pool, migrate
from tests.e2e.conftest import RunCli
from tests.keys import keyed_store


async def test_verify_passes_on_an_intact_store_and_names_a_tampered_event(
    run_cli: RunCli, database_url: str
) -> None:
    pool = await create_pool(database_url)
    try:
        await migrate(pool)
        store = keyed_store(pool)
        events = [
            NewEvent(
                event_id=uuid.uuid4(),
                type="HandoverRequested",
                payload={"handover_id": f"h-{n}", "to_org": "org-b"},
                metadata=EventMetadata(actor="cw-1"),
            )
            for n in range(3)
        ]
        await store.append("pathway-audited", events, expected_version=NO_STREAM)
    finally:
        await pool.close()
    env = {"PATHWAYS_DATABASE_URL": database_url}

    sealed = run_cli("audit", "seal", env=env)
    assert sealed.returncode == 0, sealed.stderr
    intact = run_cli("audit", "verify", "--json", env=env)
    assert intact.returncode == 0, intact.stderr
    report = json.loads(intact.stdout)
    assert report["ok"] is True
    assert report["events_checked"] == 3

    # Tamper as a superuser would: switch off the append-only triggers and rewrite a payload.
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("SET session_replication_role = replica")
        await connection.execute(
            'UPDATE eventstore.events SET payload = \'{"handover_id": "h-1", "to_org": "x"}\' '
            "WHERE stream_id = 'pathway-audited' AND version = 2"
        )
    finally:
        await connection.close()
    broken = run_cli("audit", "verify", env=env)
    assert broken.returncode == 1
    assert "BROKEN: stream pathway-audited version 2" in broken.stderr
