"""Workers crash; nothing is lost or written twice (DESIGN.md invariant 3).

Two hundred pathways are opened and driven through a warm handover concurrently while the worker,
a separate ``pathways worker`` process, is SIGKILLed several times at random moments and started
again. Callers retry with the same Temporal update id, as a real caller would. Afterwards every
pathway has reached the end of its route, and each stream in PostgreSQL holds exactly the events
the pure domain decides for that route: unique event ids, contiguous versions, the expected types
in order, folding to the workflow's own state.

The ``nl`` template is used because its clocks are days long: no deadline fires during the test,
so each stream's expected content is fully determined by the commands.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from temporalio.client import Client, WorkflowExecutionStatus

from domain import Command, PathwayState, decide, event_type, fold, load_template
from eventstore import PostgresEventStore
from scripts.scenarios import Route, social_handover_route
from tests.keys import keyed_store
from tests.workflows.command_driver import CommandDriver
from tests.workflows.stored_events import folded
from tests.workflows.worker_process import WorkerProcess
from workflows.inputs import stream_id

PATHWAYS = 200
KILLS = 4
STALL_SECONDS = 240  # the longest the route may make no progress before the test gives up
TEMPLATE = "nl"

pytestmark = pytest.mark.slow


def _expected_types(route: Route, commands: list[Command], now: datetime) -> list[str]:
    """The event types the pure domain decides for the whole route (no store, no Temporal)."""
    template = load_template(route.template_id)
    state = PathwayState.new(route.pathway_id)
    types: list[str] = []
    for command in [route.opening(), *commands]:
        events = decide(state, command, template=template, now=now, new_id=uuid.uuid4)
        state = fold(events, state)
        types += [event_type(e) for e in events]
    return types


async def _drive(
    driver: CommandDriver, route: Route, commands: list[Command], *, start: asyncio.Event
) -> None:
    await start.wait()
    assert route.handle is not None
    for n, command in enumerate(commands):
        await driver.send(route.handle, command, update_id=f"{route.pathway_id}/{n}")


async def _kill_at_random_moments(
    worker: WorkerProcess, driver: CommandDriver, total: int, rng: random.Random
) -> list[int]:
    """SIGKILL the worker ``KILLS`` times at random points of progress; returns commands pending."""
    pending_at_kill: list[int] = []
    for fraction in sorted(rng.uniform(0.1, 0.8) for _ in range(KILLS)):
        async with asyncio.timeout(STALL_SECONDS):
            while driver.stats.answered < fraction * total:  # noqa: ASYNC110 - other tasks' progress
                await asyncio.sleep(0.05)
        await asyncio.sleep(rng.uniform(0, 0.5))
        pending_at_kill.append(total - driver.stats.answered)
        worker.kill()
        await asyncio.sleep(rng.uniform(0.5, 2.0))
        worker.start()
    return pending_at_kill


async def test_killed_workers_lose_no_event_and_write_none_twice(
    *,
    temporal_client: Client,
    temporal_address: str,
    database_url: str,
    pool: asyncpg.Pool,
    task_queue: str,
    tmp_path: Path,
) -> None:
    seed = random.randrange(2**32)
    print(f"seed {seed}")
    rng = random.Random(seed)
    now = datetime.now(UTC)
    worker = WorkerProcess(
        database_url=database_url,
        temporal_address=temporal_address,
        task_queue=task_queue,
        data_dir=tmp_path / "worker",
    )
    driver = CommandDriver(temporal_client, attempt_seconds=10)
    routes = [
        Route(temporal_client, task_queue, f"p-crash-{task_queue}-{n}", TEMPLATE)
        for n in range(PATHWAYS)
    ]
    commands = {r.pathway_id: social_handover_route(r.orgs, now) for r in routes}
    total = sum(len(c) for c in commands.values())
    worker.start()
    try:
        handles = await asyncio.gather(
            *(driver.open(r.opening(), task_queue=task_queue) for r in routes)
        )
        for route, handle in zip(routes, handles, strict=True):
            route.handle = handle
        start = asyncio.Event()
        drivers = asyncio.gather(
            *(_drive(driver, r, commands[r.pathway_id], start=start) for r in routes)
        )
        start.set()
        try:
            pending_at_kill = await _kill_at_random_moments(worker, driver, total, rng)
            async with asyncio.timeout(300):
                await drivers
        finally:
            drivers.cancel()
            await asyncio.gather(drivers, return_exceptions=True)
        await _check_every_stream(routes, commands, now, keyed_store(pool), pool)
    finally:
        code = worker.stop()
    print(f"commands pending at each kill {pending_at_kill}; {driver.stats}")
    assert worker.kills == KILLS
    assert all(pending > 0 for pending in pending_at_kill), pending_at_kill
    assert code == 0, worker.tail()


async def _check_every_stream(
    routes: list[Route],
    commands: dict[str, list[Command]],
    now: datetime,
    store: PostgresEventStore,
    pool: asyncpg.Pool,
) -> None:
    expected = _expected_types(routes[0], commands[routes[0].pathway_id], now)
    seen_ids: set[uuid.UUID] = set()
    for route in routes:
        assert route.handle is not None
        recorded = await store.read_stream(stream_id(route.pathway_id))
        ids = [r.event_id for r in recorded]
        assert len(set(ids)) == len(ids), f"{route.pathway_id}: a duplicate event id"
        assert seen_ids.isdisjoint(ids), f"{route.pathway_id}: an event id of another stream"
        seen_ids.update(ids)
        assert [r.version for r in recorded] == list(range(1, len(recorded) + 1))
        assert [r.type for r in recorded] == expected, route.pathway_id
        state = await route.handle.query("state", result_type=PathwayState)
        assert await folded(store, route.pathway_id) == state, route.pathway_id
        summary = await route.summary()
        assert summary.stream_version == len(recorded)
        assert summary.open_handovers == {}
        assert summary.responsible["social"] == route.orgs.municipality
        description = await route.handle.describe()
        assert description.status is WorkflowExecutionStatus.RUNNING
    async with pool.acquire() as connection:
        inbox = await connection.fetch(
            "SELECT pathway_id FROM pathways.handover_inbox WHERE pathway_id = ANY($1::text[])",
            [r.pathway_id for r in routes],
        )
    assert Counter(r["pathway_id"] for r in inbox) == {r.pathway_id: 1 for r in routes}
