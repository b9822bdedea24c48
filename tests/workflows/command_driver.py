"""Sending commands the way a real caller does when workers may be down: retry with the same id.

Every command carries a Temporal update id derived from the pathway and the command's place in the
route. A retry after a lost answer re-sends the same id, and Temporal answers it with the first
outcome instead of running the command twice; so a caller may retry blindly and still act once.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field

from temporalio.client import Client, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain import Command
from domain.commands.pathway import OpenPathway
from workers.pathway_client import (
    PathwayHandle,
    execute,
    open_pathway,
    pathway_handle,
    workflow_not_ready,
)

# Transport failures a caller retries; anything else (a refused command, a bad request) is final.
RETRYABLE = frozenset(
    {
        RPCStatusCode.UNAVAILABLE,
        RPCStatusCode.DEADLINE_EXCEEDED,
        RPCStatusCode.CANCELLED,
        RPCStatusCode.RESOURCE_EXHAUSTED,
        RPCStatusCode.ABORTED,
    }
)


def retryable(exc: RPCError) -> bool:
    """A transport failure, or a workflow whose task is being retried after a worker died.

    While a crashed worker's workflow task waits out its timeout, Temporal refuses updates with
    FAILED_PRECONDITION (``WorkflowNotReadyFailure``); once a live worker takes the task, the same
    update goes through.
    """
    return exc.status in RETRYABLE or workflow_not_ready(exc)


@dataclass
class DriverStats:
    """What the drivers did: commands answered, and retries by cause."""

    answered: int = 0
    retries: Counter[str] = field(default_factory=Counter)


class CommandDriver:
    """Sends commands with deterministic update ids and retries until each one is answered."""

    def __init__(self, client: Client, *, attempt_seconds: float, pause_seconds: float = 0.2):
        self._client = client
        self._attempt_seconds = attempt_seconds
        self._pause_seconds = pause_seconds
        self.stats = DriverStats()

    async def open(self, command: OpenPathway, *, task_queue: str) -> PathwayHandle:
        """Start the pathway; a start that already happened (retry after a lost answer) is fine."""
        while True:
            try:
                async with asyncio.timeout(self._attempt_seconds):
                    return await open_pathway(self._client, command, task_queue=task_queue)
            except WorkflowAlreadyStartedError:
                return pathway_handle(self._client, command.pathway_id)
            except TimeoutError:
                _raise_if_cancelled()
                self.stats.retries["open_timeout"] += 1
            except RPCError as exc:
                if not retryable(exc):
                    raise
                self.stats.retries[f"open_{exc.status.name}"] += 1
            await asyncio.sleep(self._pause_seconds)

    async def send(self, handle: PathwayHandle, command: Command, *, update_id: str) -> None:
        """Send ``command`` until Temporal answers it; a refusal by the domain is raised."""
        while True:
            try:
                async with asyncio.timeout(self._attempt_seconds):
                    await execute(handle, command, update_id=update_id)
            except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
                # The SDK turns a cancelled update call into this error: if it was this task that
                # was cancelled (not the attempt timing out), stop instead of retrying forever.
                _raise_if_cancelled()
                self.stats.retries["timeout"] += 1
            except RPCError as exc:
                if not retryable(exc):
                    raise
                self.stats.retries[exc.status.name] += 1
            else:
                self.stats.answered += 1
                return
            await asyncio.sleep(self._pause_seconds)


def _raise_if_cancelled() -> None:
    """Re-raise a cancellation of the current task that a library reported as another error."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
