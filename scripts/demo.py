"""``pathways demo``: a synthetic person's pathway, run end to end on the configured services."""

from __future__ import annotations

import secrets
import sys
from collections.abc import Callable
from typing import TextIO

from temporalio.client import Client

from eventstore import PostgresEventStore, RecordedEvent, create_pool, migrate
from workers.services import open_services
from workers.settings import Settings
from workers.temporal_client import connect_temporal
from workers.worker import build_worker
from workflows.inputs import (
    HandoverStepInput,
    OpenPathwayInput,
    PathwaySnapshot,
    RequestHandoverInput,
    stream_id,
    workflow_id,
)
from workflows.pathway import PathwayWorkflow

HOSPITAL = "org-hospital-psychiatry-1"
MUNICIPALITY = "org-municipality-1"
COORDINATOR = "cw-0001"


async def run_demo(settings: Settings, out: TextIO = sys.stdout) -> list[RecordedEvent]:
    """Open a pathway, hand the person over from hospital to municipality, print the history."""
    say: Callable[[str], None] = lambda line: print(line, file=out, flush=True)  # noqa: E731
    async with open_services(settings, progress=say) as services:
        say(f"postgres: {'embedded' if settings.embedded_postgres else 'external DSN'}")
        say(f"temporal: {services.temporal_address}")
        pool = await create_pool(services.database_url)
        try:
            await migrate(pool)
            store = PostgresEventStore(pool)
            client = await connect_temporal(settings, services.temporal_address)
            async with build_worker(client, store, task_queue=settings.task_queue):
                pathway_id = f"p-{secrets.token_hex(6)}"
                say(f"opening pathway {pathway_id} for a synthetic person")
                final = await _drive_route(client, settings.task_queue, pathway_id)
            history = await store.read_stream(stream_id(pathway_id))
            say("")
            say(f"history of {stream_id(pathway_id)}, read back from PostgreSQL:")
            for event in history:
                say(_format(event))
            say("")
            say(f"responsible now: {final.responsible}")
            earlier = await _count_pathways(pool)
            say(f"pathways in the event store: {earlier}")
            return history
        finally:
            await pool.close()


async def _drive_route(client: Client, task_queue: str, pathway_id: str) -> PathwaySnapshot:
    handle = await client.start_workflow(
        PathwayWorkflow.run,
        OpenPathwayInput(
            pathway_id=pathway_id,
            jurisdiction="NL",
            coordinator_id=COORDINATOR,
            origin_org=HOSPITAL,
            actor=COORDINATOR,
        ),
        id=workflow_id(pathway_id),
        task_queue=task_queue,
    )
    await handle.execute_update(
        PathwayWorkflow.request_handover,
        RequestHandoverInput(
            handover_id="h-1", track="clinical", to_org=MUNICIPALITY, actor="staff-hospital-7"
        ),
    )
    await handle.execute_update(
        PathwayWorkflow.accept_handover,
        HandoverStepInput(handover_id="h-1", actor="staff-municipality-3"),
    )
    return await handle.execute_update(
        PathwayWorkflow.record_first_contact,
        HandoverStepInput(handover_id="h-1", actor="staff-municipality-3"),
    )


async def _count_pathways(pool: object) -> int:
    from asyncpg import Pool

    assert isinstance(pool, Pool)
    async with pool.acquire() as connection:
        value = await connection.fetchval(
            "SELECT count(*) FROM eventstore.streams WHERE stream_id LIKE 'pathway-%'"
        )
    return int(value)


def _format(event: RecordedEvent) -> str:
    details = ", ".join(f"{key}={value}" for key, value in sorted(event.payload.items()))
    return (
        f"  v{event.version:<3} #{event.position:<6} {event.recorded_at:%Y-%m-%d %H:%M:%S} "
        f"{event.type:<18} by {event.metadata.actor:<22} {details}"
    )
