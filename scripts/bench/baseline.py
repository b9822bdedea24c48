"""The bare Temporal baseline of ``pathways bench workflows``: updates running no-op activities.

No domain, no event store, no search attributes: what any workflow pays for one update and its
activities on the same server, worker and client. The pathway workflow is measured against it.
Kept in a module of its own because the workflow sandbox re-imports the module a workflow lives
in, and this one imports nothing but Temporal.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import RetryPolicy

# The same activity options as the pathway workflow, so the comparison is like for like.
RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=10)
)
TIMEOUT = timedelta(seconds=30)


@activity.defn(name="bench_noop")
async def noop() -> None:
    """Does nothing; the cost measured is Temporal's."""


@workflow.defn(name="BenchBaselineWorkflow")
class BaselineWorkflow:
    """Waits for updates; each runs ``activities`` no-op activities in sequence."""

    def __init__(self) -> None:
        self._steps = 0

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: False)
        return self._steps  # pragma: no cover - the bench terminates these workflows

    @workflow.update
    async def step(self, activities: int) -> int:
        """Run ``activities`` no-op activities one after another; returns the steps so far."""
        for _ in range(activities):
            await workflow.execute_activity(
                noop, start_to_close_timeout=TIMEOUT, retry_policy=RETRY
            )
        self._steps += 1
        return self._steps
