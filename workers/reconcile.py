"""Reconciling Temporal with the event store, the system of record.

After one of them is restored from a backup, or Temporal's database is lost, the two can
disagree: a pathway whose stream is open may have no running workflow (it would never again
escalate a missed deadline), or a workflow may stand at another stream version than its stream
(its next append would be refused as a wrong expected version). ``reconcile`` compares every
pathway stream with its workflow and reports each difference; with ``repair`` it restarts the
workflow of every open pathway that differs from the store's events, carrying the state folded
from them (the same input continue-as-new uses), so its deadlines run again from the store's
truth. A closed pathway is never restarted. Comparing versions queries the running workflows,
so a worker must be running on the task queue (a workflow nobody answers for is reported as
such, and not restarted).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import WorkflowIDReusePolicy
from temporalio.service import RPCError, RPCStatusCode

from domain import PathwayState, fold, from_payload, load_template
from domain.catalogue import EVENT_TYPES
from eventstore import PostgresEventStore
from workflows.inputs import CarriedState, PathwayWorkflowInput, stream_id, workflow_id
from workflows.pathway import PathwayWorkflow

STREAM_PREFIX = "pathway-"


class Difference(StrEnum):
    """How a pathway's workflow disagrees with its stream."""

    WORKFLOW_MISSING = "workflow_missing"  # open in the store, unknown to Temporal
    WORKFLOW_CLOSED = "workflow_closed"  # open in the store, its workflow ended
    VERSION_DIFFERS = "version_differs"  # running, at another stream version than the store
    NOT_ANSWERING = "not_answering"  # running, but no worker answered its query (none running?)


class PathwayDifference(BaseModel, frozen=True):
    """One pathway whose workflow disagrees with the store, and what was done about it."""

    pathway_id: str
    difference: Difference
    store_version: int
    workflow_version: int | None
    repaired: bool = False


class ReconcileReport(BaseModel, frozen=True):
    """What a reconciliation compared and found."""

    pathways_checked: int
    in_agreement: int
    differences: list[PathwayDifference]


async def reconcile(
    store: PostgresEventStore, client: Client, *, task_queue: str, repair: bool = False
) -> ReconcileReport:
    """Compare every pathway stream with its workflow; with ``repair``, restart those that differ.

    Args:
        store: the event store (the system of record), with the process's keys.
        client: the Temporal client.
        task_queue: where restarted workflows run.
        repair: restart the workflow of every open pathway that differs, from its stream.
    """
    rows = await store.pool.fetch(
        "SELECT stream_id, version FROM eventstore.streams"
        " WHERE stream_id LIKE 'pathway-%' AND version > 0 ORDER BY stream_id"
    )
    differences: list[PathwayDifference] = []
    for row in rows:
        pathway_id = str(row["stream_id"])[len(STREAM_PREFIX) :]
        state, version = await _stored_state(store, pathway_id)
        if not state.is_live:
            continue  # closed in the store: nothing to run, nothing to repair
        found = await _compare(client, pathway_id, version)
        if found is None:
            continue
        difference, workflow_version = found
        repaired = False
        if repair and difference is not Difference.NOT_ANSWERING:
            await _restart(client, state, version, task_queue=task_queue, difference=difference)
            repaired = True
        differences.append(
            PathwayDifference(
                pathway_id=pathway_id,
                difference=difference,
                store_version=version,
                workflow_version=workflow_version,
                repaired=repaired,
            )
        )
    return ReconcileReport(
        pathways_checked=len(rows),
        in_agreement=len(rows) - len(differences),
        differences=differences,
    )


async def _stored_state(store: PostgresEventStore, pathway_id: str) -> tuple[PathwayState, int]:
    recorded = await store.read_stream(stream_id(pathway_id))
    events = [
        from_payload(r.type, r.schema_version, r.payload) for r in recorded if r.type in EVENT_TYPES
    ]
    return fold(events, PathwayState.new(pathway_id)), recorded[-1].version if recorded else 0


async def _compare(
    client: Client, pathway_id: str, version: int
) -> tuple[Difference, int | None] | None:
    handle = client.get_workflow_handle(workflow_id(pathway_id))
    try:
        description = await handle.describe()
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND:
            return Difference.WORKFLOW_MISSING, None
        raise
    if description.status is not WorkflowExecutionStatus.RUNNING:
        return Difference.WORKFLOW_CLOSED, None
    try:
        summary = await client.get_workflow_handle_for(
            PathwayWorkflow.run, workflow_id(pathway_id)
        ).query(PathwayWorkflow.summary)
    except RPCError:
        # A query is answered by a worker: without one running, the version cannot be compared.
        return Difference.NOT_ANSWERING, None
    if summary.stream_version != version:
        return Difference.VERSION_DIFFERS, summary.stream_version
    return None


async def _restart(
    client: Client,
    state: PathwayState,
    version: int,
    *,
    task_queue: str,
    difference: Difference,
) -> None:
    assert state.template_id is not None
    assert state.template_version is not None
    if difference is Difference.VERSION_DIFFERS:
        # Its history no longer matches the store; the store is the system of record.
        await client.get_workflow_handle(workflow_id(state.pathway_id)).terminate(
            reason="reconcile: restarted from the event store"
        )
    await client.start_workflow(
        PathwayWorkflow.run,
        PathwayWorkflowInput(
            pathway_id=state.pathway_id,
            template=load_template(state.template_id, state.template_version),
            carried=CarriedState(state=state, stream_version=version),
        ),
        id=workflow_id(state.pathway_id),
        task_queue=task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    )
