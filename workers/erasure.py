"""Erasing a person's pathway: the event store's key, and the workflow's Temporal history.

DESIGN.md invariant 6: personal data can be erased without breaking the history. In the event
store personal fields are encrypted per person, so destroying the key erases them there while
every hash still verifies. Temporal keeps a second copy: commands reach the workflow as updates,
and their free text (the person's own words, contact notes) sits in the clear in the workflow's
history. So an erasure also deletes every run of the pathway's workflow (continue-as-new leaves
one per run); the event store, not Temporal, is the record auditors replay.

Only a closed pathway is erased: erasing one that is still supporting someone would pull the data
from under the people doing it. A refused erasure changes nothing.

Order, for re-runs after a crash: the key goes first (after it, nothing in the store is readable),
then the Temporal runs. Repeating the whole erasure is safe: the key stays destroyed, the store's
erasure events have derived ids, and runs already deleted are skipped.
"""

from __future__ import annotations

import asyncio
import re

from pydantic import BaseModel
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from eventstore import PostgresEventStore
from workflows.inputs import PATHWAY_ID_PATTERN, stream_id, workflow_id

ACTOR_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}"  # as domain.ids.ActorId


class ErasureRefusedError(Exception):
    """The erasure was not done, and nothing was changed; the message says why."""


class InvalidErasureError(ErasureRefusedError):
    """The pathway id or the actor id is malformed."""


class PathwayNotFoundError(ErasureRefusedError):
    """Neither the event store nor Temporal knows this pathway."""


class ErasureReport(BaseModel, frozen=True):
    """What an erasure did.

    ``workflow_runs_deleted`` counts the runs whose deletion Temporal accepted now (0 on a
    repeated erasure). Temporal deletes asynchronously (30 to 50 seconds on the dev server);
    ``temporal_history_gone`` says whether every run was gone before the erasure returned, and is
    ``None`` when it was not waited for.
    """

    pathway_id: str
    events_in_stream: int
    workflow_runs_deleted: int
    temporal_history_gone: bool | None


async def erase_pathway(
    store: PostgresEventStore,
    client: Client,
    pathway_id: str,
    *,
    actor: str,
    wait_seconds: float = 0,
) -> ErasureReport:
    """Erase a closed pathway's personal data from the event store and from Temporal.

    Args:
        wait_seconds: how long to wait for Temporal to have deleted every run (0: do not wait).

    Raises:
        InvalidErasureError: the pathway id or the actor id is malformed.
        PathwayNotFoundError: no such pathway.
        ErasureRefusedError: the pathway is still open.
    """
    if not re.fullmatch(PATHWAY_ID_PATTERN, pathway_id):
        raise InvalidErasureError(f"not a pathway id: {pathway_id!r}")
    if not re.fullmatch(ACTOR_ID_PATTERN, actor):
        raise InvalidErasureError(f"not a pseudonymous actor id: {actor!r}")
    stream_version = await store.stream_version(stream_id(pathway_id))
    runs = await _runs(client, pathway_id)
    if stream_version == 0 and not runs:
        raise PathwayNotFoundError(f"no pathway {pathway_id}")
    if await _still_open(client, pathway_id):
        raise ErasureRefusedError(f"pathway {pathway_id} is still open: close it first")
    await store.erase(pathway_id, actor=actor)
    deleted = 0
    for run_id in runs:
        deleted += await _delete_run(client, pathway_id, run_id)
    gone = await _gone(client, pathway_id, runs, wait_seconds) if wait_seconds > 0 else None
    return ErasureReport(
        pathway_id=pathway_id,
        events_in_stream=await store.stream_version(stream_id(pathway_id)),
        workflow_runs_deleted=deleted,
        temporal_history_gone=gone,
    )


async def _runs(client: Client, pathway_id: str) -> list[str]:
    """Run ids of every execution of the pathway's workflow (one per continue-as-new)."""
    query = f"WorkflowId = '{workflow_id(pathway_id)}'"  # the id matched the pattern: no quotes
    return [execution.run_id async for execution in client.list_workflows(query)]


async def _still_open(client: Client, pathway_id: str) -> bool:
    """Whether the latest run is running (asked of the workflow itself, not of visibility)."""
    try:
        description = await client.get_workflow_handle(workflow_id(pathway_id)).describe()
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND:
            return False
        raise
    return description.status is WorkflowExecutionStatus.RUNNING


async def _gone(client: Client, pathway_id: str, runs: list[str], wait_seconds: float) -> bool:
    """Wait until Temporal knows none of ``runs``; False if some remain after ``wait_seconds``."""
    remaining = list(runs)
    deadline = asyncio.get_running_loop().time() + wait_seconds
    while remaining:
        run_id = remaining[-1]
        try:
            await client.get_workflow_handle(workflow_id(pathway_id), run_id=run_id).describe()
        except RPCError as exc:
            if exc.status is not RPCStatusCode.NOT_FOUND:
                raise
            remaining.pop()
            continue
        if asyncio.get_running_loop().time() >= deadline:
            return False
        await asyncio.sleep(0.5)
    return True


async def _delete_run(client: Client, pathway_id: str, run_id: str) -> int:
    """Delete one run's history; 0 if it was already gone."""
    request = DeleteWorkflowExecutionRequest(
        namespace=client.namespace,
        workflow_execution=WorkflowExecution(workflow_id=workflow_id(pathway_id), run_id=run_id),
    )
    try:
        await client.workflow_service.delete_workflow_execution(request)
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND:
            return 0
        raise
    return 1
