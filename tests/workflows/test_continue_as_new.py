"""A long pathway continues as new across many runs, its state untouched by each transition.

A dedicated dev server suggests continue-as-new after a few hundred history events
(``limit.historyCount.suggestContinueAsNew``), instead of the default 4,096, so that a pathway
with thousands of history events and about a thousand stored events crosses many runs quickly.
The product code is unchanged: it continues when the server suggests it.

Closed at the end and erased, the pathway is forgotten by Temporal in every one of its runs.

Each run's start event carries the state handed over by the previous run; it must equal the fold
of exactly the events stored up to the carried stream version. After the last transition the
workflow still takes commands and its clocks still run out and escalate.

To record the last run's history for the replay tests: ``PATHWAYS_RECORD_HISTORIES=1``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory, WorkflowUpdateFailedError

from domain import PathwayState, fold
from domain.commands import (
    ClosePathway,
    EnrolInIps,
    RecordEmployerContact,
    RecordFollowAlongContact,
    StartJob,
)
from domain.employment import ContactParty
from domain.escalation import DeadlineKind
from domain.events import DeadlineMissed
from domain.state import CloseReason
from eventstore import PostgresEventStore
from scripts.scenarios import Route, until
from tests.keys import keyed_store
from tests.workflows.command_driver import CommandDriver
from tests.workflows.recorded import GENERATION, HISTORIES
from tests.workflows.stored_events import folded, only, stored_events
from workers import dev_server
from workers.erasure import erase_pathway
from workers.pathway_client import execute
from workers.settings import Settings
from workers.temporal_client import connect_temporal
from workers.worker import build_worker
from workflows.inputs import PathwayWorkflowInput, workflow_id
from workflows.pathway import UPDATE_OUTCOMES_CARRIED

SUGGEST_CONTINUE_AFTER = 250  # history events; Temporal's default is 4,096
CONTACTS = 500

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def early_continue_address(temporal_cli: Path) -> Iterator[str]:
    """A dev server of this module's own that suggests continue-as-new early."""
    files = dev_server.DevServerFiles(Path(tempfile.mkdtemp(prefix="pathways-test-can-")))
    port = dev_server.free_port()
    dev_server.start(
        temporal_cli,
        files,
        port=port,
        ui_port=dev_server.free_port(),
        persistent=False,
        extra_args=(
            "--dynamic-config-value",
            f"limit.historyCount.suggestContinueAsNew={SUGGEST_CONTINUE_AFTER}",
        ),
    )
    yield f"127.0.0.1:{port}"
    dev_server.stop(files)


@pytest.fixture
async def early_continue_client(
    early_continue_address: str, pool: asyncpg.Pool, task_queue: str
) -> AsyncIterator[Client]:
    """A client of that server, with a worker of the real product on this test's queue."""
    client = await connect_temporal(Settings(), early_continue_address)
    async with build_worker(client, pool, task_queue=task_queue, store=keyed_store(pool)):
        yield client


async def _runs(client: Client, pathway_id: str) -> list[WorkflowHistory]:
    """Every run of the pathway's workflow, oldest first, following the continue-as-new chain."""
    histories = [
        history
        async for history in client.list_workflows(
            f"WorkflowId = '{workflow_id(pathway_id)}'"
        ).map_histories()
    ]
    return sorted(histories, key=lambda h: h.events[0].event_time.ToDatetime())


async def _carried(client: Client, history: WorkflowHistory) -> PathwayWorkflowInput:
    started = history.events[0]
    assert started.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
    payloads = started.workflow_execution_started_event_attributes.input.payloads
    (request,) = await client.data_converter.decode(payloads, [PathwayWorkflowInput])
    assert isinstance(request, PathwayWorkflowInput)
    return request


async def _erasure_reaches_every_run(
    client: Client, store: PostgresEventStore, route: Route
) -> None:
    """Once closed, the pathway is erased, and Temporal forgets every one of its runs."""
    assert route.handle is not None
    await route.do(ClosePathway(actor="es-1", reason=CloseReason.GOALS_REACHED))
    await route.handle.result()
    runs = await _runs(client, route.pathway_id)
    report = await erase_pathway(store, client, route.pathway_id, actor="dpo-1", wait_seconds=180)
    assert report.workflow_runs_deleted == len(runs) > 2
    assert report.temporal_history_gone is True


async def test_a_long_pathway_keeps_its_state_across_continue_as_new(
    early_continue_client: Client, pool: asyncpg.Pool, task_queue: str
) -> None:
    client = early_continue_client
    store = keyed_store(pool)
    route = Route(client, task_queue, f"p-long-{task_queue}", "fast")
    ips = route.orgs.ips
    await route.open()
    for command in (
        EnrolInIps(actor="es-1", ips_org=ips, specialist_id="es-1"),
        RecordEmployerContact(actor="es-1", employer_id="emp-1"),
        StartJob(actor="es-1", employer_id="emp-1", hours_per_week=16),
    ):
        await route.do(command)
    assert route.handle is not None
    first_run = (await route.handle.describe()).run_id

    # Contacts with the worker and the employer, one after another as a specialist records them;
    # each restarts the follow-along clocks, so no deadline fires while they arrive.
    driver = CommandDriver(client, attempt_seconds=30)
    for n in range(CONTACTS):
        party = ContactParty.WORKER if n % 2 == 0 else ContactParty.EMPLOYER
        contact = RecordFollowAlongContact(actor="es-1", with_party=party)
        await driver.send(route.handle, contact, update_id=f"{route.pathway_id}/contact-{n}")

    runs = await _runs(client, route.pathway_id)
    assert len(runs) > 2, [len(r.events) for r in runs]
    assert sum(len(r.events) for r in runs) > 5 * SUGGEST_CONTINUE_AFTER
    latest = (await route.handle.describe()).run_id
    assert latest != first_run
    events = await stored_events(store, route.pathway_id)
    assert len(events) > CONTACTS

    # Each transition hands over exactly the fold of the stored events up to where it stood.
    for continued in runs[1:]:
        carried = (await _carried(client, continued)).carried
        assert carried is not None
        prefix = fold(events[: carried.stream_version], PathwayState.new(route.pathway_id))
        assert carried.state == prefix
    state = await route.handle.query("state", result_type=PathwayState)
    assert state == await folded(store, route.pathway_id)
    assert state.employment.job is not None

    # After the transitions the workflow still takes commands...
    await route.do(RecordEmployerContact(actor="es-1", employer_id="emp-2"))
    # ...and its clocks still run out: no more contacts, so the worker-contact clock escalates.
    job_id = state.employment.job.job_id

    async def escalated_twice() -> bool:
        missed = only(await stored_events(store, route.pathway_id), DeadlineMissed)
        return {
            m.escalation_level
            for m in missed
            if m.kind is DeadlineKind.FOLLOW_ALONG_WORKER_CONTACT and m.subject == job_id
        } == {1, 2}

    await until(escalated_twice, within_seconds=120)
    state = await route.handle.query("state", result_type=PathwayState)
    assert state == await folded(store, route.pathway_id)
    print(f"{len(runs)} runs, {sum(len(r.events) for r in runs)} history events, {driver.stats}")

    if os.environ.get("PATHWAYS_RECORD_HISTORIES"):  # before the erasure forgets every run
        last = await client.get_workflow_handle(
            workflow_id(route.pathway_id), run_id=(await route.handle.describe()).run_id
        ).fetch_history()
        (HISTORIES / f"continued-run-fast-{GENERATION}.json").write_text(last.to_json())

    await _erasure_reaches_every_run(client, store, route)


async def test_a_retry_after_continue_as_new_gets_the_first_outcome_and_acts_once(
    early_continue_client: Client, pool: asyncpg.Pool, task_queue: str
) -> None:
    """Temporal answers a repeated update id only within one run; the workflow carries the last
    outcomes across continue-as-new, so a caller's retry (the API's, after a crash) still acts
    once, even when the command would now be refused."""
    client = early_continue_client
    store = keyed_store(pool)
    route = Route(client, task_queue, f"p-retry-{task_queue}", "fast")
    await route.open()
    assert route.handle is not None
    enrol = EnrolInIps(actor="es-1", ips_org=route.orgs.ips, specialist_id="es-1")
    enrol_id = f"{route.pathway_id}/enrol"
    enrolled = await execute(route.handle, enrol, update_id=enrol_id)
    await route.do(RecordEmployerContact(actor="es-1", employer_id="emp-1"))
    await route.do(StartJob(actor="es-1", employer_id="emp-1", hours_per_week=16))
    first_run = (await route.handle.describe()).run_id
    contacts = 0
    while (await route.handle.describe()).run_id == first_run:
        assert contacts < UPDATE_OUTCOMES_CARRIED - 5, "no continue-as-new in time"
        party = ContactParty.WORKER if contacts % 2 == 0 else ContactParty.EMPLOYER
        await route.do(RecordFollowAlongContact(actor="es-1", with_party=party))
        contacts += 1
    runs = await _runs(client, route.pathway_id)
    carried = (await _carried(client, runs[-1])).carried
    assert carried is not None
    assert enrol_id in {u.update_id for u in carried.recent_updates}
    stored = len(await stored_events(store, route.pathway_id))

    again = await execute(route.handle, enrol, update_id=enrol_id)

    assert again == enrolled
    assert len(await stored_events(store, route.pathway_id)) == stored
    # It is the id that is remembered: the same command under a new id is refused as before.
    with pytest.raises(WorkflowUpdateFailedError):
        await execute(route.handle, enrol, update_id=f"{route.pathway_id}/enrol-again")
    await route.do(ClosePathway(actor="es-1", reason=CloseReason.GOALS_REACHED))
    await route.handle.result()
    assert len(await stored_events(store, route.pathway_id)) == stored + 1

    if os.environ.get("PATHWAYS_RECORD_HISTORIES"):
        last = await client.get_workflow_handle(
            workflow_id(route.pathway_id), run_id=(await route.handle.describe()).run_id
        ).fetch_history()
        (HISTORIES / f"retried-across-runs-fast-{GENERATION}.json").write_text(last.to_json())
