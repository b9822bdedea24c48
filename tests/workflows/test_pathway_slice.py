"""The foundation's vertical slice on the real dev server, writing to the real PostgreSQL."""

from __future__ import annotations

import asyncpg
from temporalio.client import Client

from eventstore import PostgresEventStore, create_pool, migrate
from workers.worker import build_worker
from workflows.inputs import (
    HandoverStepInput,
    OpenPathwayInput,
    RequestHandoverInput,
    stream_id,
    workflow_id,
)
from workflows.pathway import PathwayWorkflow


async def test_a_handover_round_trip_lands_in_postgres_in_order(
    temporal_client: Client, database_url: str, task_queue: str
) -> None:
    pool = await create_pool(database_url)
    try:
        await migrate(pool)
        store = PostgresEventStore(pool)
        async with build_worker(temporal_client, store, task_queue=task_queue):
            handle = await temporal_client.start_workflow(
                PathwayWorkflow.run,
                OpenPathwayInput(
                    pathway_id="p-slice-1",
                    jurisdiction="NL",
                    coordinator_id="cw-1",
                    origin_org="org-hospital",
                    actor="cw-1",
                ),
                id=workflow_id("p-slice-1") + f"-{task_queue}",
                task_queue=task_queue,
            )
            await handle.execute_update(
                PathwayWorkflow.request_handover,
                RequestHandoverInput(
                    handover_id="h-1", track="clinical", to_org="org-municipality", actor="s-1"
                ),
            )
            await handle.execute_update(
                PathwayWorkflow.accept_handover, HandoverStepInput(handover_id="h-1", actor="s-2")
            )
            final = await handle.execute_update(
                PathwayWorkflow.record_first_contact,
                HandoverStepInput(handover_id="h-1", actor="s-2"),
            )
        # Read the rows back with a separate plain connection, not through the store under test.
        connection = await asyncpg.connect(database_url)
        try:
            rows = await connection.fetch(
                "SELECT type, version FROM eventstore.events WHERE stream_id = $1 ORDER BY version",
                stream_id("p-slice-1"),
            )
        finally:
            await connection.close()
    finally:
        await pool.close()

    assert [(r["type"], r["version"]) for r in rows] == [
        ("PathwayOpened", 1),
        ("HandoverRequested", 2),
        ("HandoverAccepted", 3),
        ("FirstContactMade", 4),
        ("HandoverCompleted", 5),
    ]
    assert final.responsible == {"clinical": "org-municipality"}
    assert final.stream_version == 5
