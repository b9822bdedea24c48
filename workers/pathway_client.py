"""Client-side operations on pathway workflows, shared by the CLI, the demo, the API and tests."""

from __future__ import annotations

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDReusePolicy
from temporalio.service import RPCError, RPCStatusCode

from domain import Command, load_template
from domain.commands.pathway import OpenPathway
from workflows.inputs import (
    CommandOutcome,
    CommandRequest,
    PathwaySummary,
    PathwayWorkflowInput,
    workflow_id,
)
from workflows.pathway import PathwayWorkflow

PathwayHandle = WorkflowHandle[PathwayWorkflow, PathwaySummary]


OPENED_BY_MEMO = "opened-by"
"""Memo naming the request that opened a pathway (a hash of caller and key; no personal data)."""


async def open_pathway(
    client: Client, command: OpenPathway, *, task_queue: str, request_id: str | None = None
) -> PathwayHandle:
    """Start the pathway's workflow; the template version is pinned here, outside the sandbox.

    A pathway id is used once: reopening a closed pathway under the same id is refused.
    ``request_id`` (the API's update id of the keyed request) is kept in the workflow's memo, so
    a retry of the same request can tell its own opening from someone else's
    (:func:`opened_by`).
    """
    template = load_template(command.template_id, command.template_version)
    return await client.start_workflow(
        PathwayWorkflow.run,
        PathwayWorkflowInput(pathway_id=command.pathway_id, template=template, open=command),
        id=workflow_id(command.pathway_id),
        task_queue=task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        memo={OPENED_BY_MEMO: request_id} if request_id else None,
    )


async def opened_by(client: Client, pathway_id: str) -> str | None:
    """The request id that opened the pathway's workflow, if it was opened under one."""
    description = await client.get_workflow_handle(workflow_id(pathway_id)).describe()
    value = await description.memo_value(OPENED_BY_MEMO, default=None)
    return value if isinstance(value, str) else None


def pathway_handle(client: Client, pathway_id: str) -> PathwayHandle:
    """The handle of an existing pathway's workflow."""
    return client.get_workflow_handle_for(PathwayWorkflow.run, workflow_id(pathway_id))


async def execute(
    handle: PathwayHandle, command: Command, *, update_id: str | None = None
) -> CommandOutcome:
    """Send one command; raises ``WorkflowUpdateFailedError`` if the domain refuses it.

    Args:
        handle: the pathway's workflow.
        command: the command.
        update_id: a caller-chosen Temporal update id; a retry with the same id is answered
            with the first outcome instead of acting twice, within the run by Temporal and
            after continue-as-new by the workflow (its last ``UPDATE_OUTCOMES_CARRIED`` updates).
    """
    return await handle.execute_update(
        PathwayWorkflow.execute,
        CommandRequest(command=command),
        id=update_id,
    )


def workflow_not_ready(exc: RPCError) -> bool:
    """Temporal refused an update because the pathway's workflow task is being retried.

    That happens while a crashed or overloaded worker's task waits out its timeout; once a live
    worker takes the task, the same update (same update id) goes through. Callers retry it.
    """
    return exc.status is RPCStatusCode.FAILED_PRECONDITION and any(
        detail.type_url.endswith("WorkflowNotReadyFailure") for detail in exc.grpc_status.details
    )
