"""Pathway workflows on the real dev server, writing to the real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import pytest
from temporalio.client import Client, WorkflowUpdateFailedError

from domain import PathwayState, fold, from_payload
from domain.commands import AcceptHandover
from domain.tracks import Responsibility
from eventstore import PostgresEventStore
from scripts.scenarios import (
    COORDINATOR,
    SUPERVISOR,
    Route,
    declined_and_redirected,
    full_route,
    until,
)
from workflows.inputs import stream_id


async def _folded(store: PostgresEventStore, pathway_id: str) -> PathwayState:
    recorded = await store.read_stream(stream_id(pathway_id))
    events = [from_payload(r.type, r.schema_version, r.payload) for r in recorded]
    return fold(events, PathwayState.new(pathway_id))


@pytest.mark.parametrize("country", ["dk", "nl", "uk", "de", "it", "es"])
async def test_a_full_route_ends_in_work_and_the_store_folds_to_the_workflow_state(
    temporal_client: Client, running_worker: PostgresEventStore, task_queue: str, country: str
) -> None:
    route = Route(temporal_client, task_queue, f"p-{country}-{task_queue}", country)
    await full_route(route, datetime.now(UTC))

    assert route.handle is not None
    state = await route.handle.query("state", result_type=PathwayState)
    assert state.status.value == "active"
    assert state.template_id == country
    assert state.employment.job is not None
    summary = await route.summary()
    assert summary.responsible["employment"] == route.orgs.ips
    assert summary.responsible["social"] == route.orgs.municipality
    assert summary.open_handovers == {}
    assert await _folded(running_worker, route.pathway_id) == state


async def test_a_declined_handover_is_redirected_and_completes(
    temporal_client: Client, running_worker: PostgresEventStore, task_queue: str
) -> None:
    route = Route(temporal_client, task_queue, f"p-redirect-{task_queue}", "fast")
    await declined_and_redirected(route, datetime.now(UTC))
    summary = await route.summary()
    assert summary.responsible["social"] == route.orgs.municipality
    recorded = await running_worker.read_stream(stream_id(route.pathway_id))
    types = [r.type for r in recorded]
    assert types.index("HandoverDeclined") < types.index("HandoverRedirected")


async def test_an_unacknowledged_handover_escalates_to_coordinator_then_supervisor(
    temporal_client: Client, running_worker: PostgresEventStore, pool: asyncpg.Pool, task_queue: str
) -> None:
    route = Route(temporal_client, task_queue, f"p-escalate-{task_queue}", "fast")
    await route.open()
    await route.handover("h-1", Responsibility.SOCIAL, route.orgs.municipality)

    async def escalated_twice() -> bool:
        async with pool.acquire() as connection:
            rows = await connection.fetch(
                "SELECT recipient_role, recipient_id FROM pathways.notifications "
                "WHERE pathway_id = $1 AND subject = 'h-1' AND kind = 'handover_acknowledge' "
                "ORDER BY level",
                route.pathway_id,
            )
        return [tuple(r) for r in rows] == [
            ("coordinator", COORDINATOR),
            ("supervisor", SUPERVISOR),
        ]

    await until(escalated_twice, within_seconds=60)
    async with pool.acquire() as connection:
        inbox = await connection.fetchval(
            "SELECT to_org FROM pathways.handover_inbox "
            "WHERE handover_id = 'h-1' AND pathway_id = $1",
            route.pathway_id,
        )
    assert inbox == route.orgs.municipality
    assert route.handle is not None
    state = await route.handle.query("state", result_type=PathwayState)
    assert await _folded(running_worker, route.pathway_id) == state


async def test_a_command_that_breaks_a_rule_is_rejected_and_never_reaches_history(
    temporal_client: Client, running_worker: PostgresEventStore, task_queue: str
) -> None:
    route = Route(temporal_client, task_queue, f"p-reject-{task_queue}", "fast")
    await route.open()

    async def opened() -> bool:
        return (await route.summary()).stream_version > 0

    await until(opened, within_seconds=30)
    before = await running_worker.read_stream(stream_id(route.pathway_id))
    assert before
    with pytest.raises(WorkflowUpdateFailedError):
        await route.do(AcceptHandover(actor="x", handover_id="h-none", by_org="org-x"))
    assert route.handle is not None
    history = await route.handle.fetch_history()
    assert not any(
        e.HasField("workflow_execution_update_accepted_event_attributes") for e in history.events
    )
    assert await running_worker.read_stream(stream_id(route.pathway_id)) == before
