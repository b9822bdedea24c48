"""The worker process: the composition root that wires the store into activities and runs them."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence

import asyncpg
import structlog
from temporalio.client import Client
from temporalio.worker import Worker

from activities.event_store import EventStoreActivities
from activities.notices import NoticeActivities
from eventstore import PostgresEventStore
from workers.database import connect_database, prepare_database
from workers.sealing import seal_periodically
from workers.services import open_services
from workers.settings import Settings
from workers.temporal_client import connect_temporal
from workflows.pathway import PathwayWorkflow

log = structlog.get_logger()

__all__ = ["WORKFLOWS", "WORKFLOW_TASK_SLOTS", "build_worker", "prepare_database", "run_worker"]

WORKFLOWS: Sequence[type] = (PathwayWorkflow,)

WORKFLOW_TASK_SLOTS = 16
"""Workflow tasks a worker takes from Temporal at once (the SDK's default is 100).

Why fewer: workflow code runs under the GIL, so tasks taken beyond what one core works through
only wait inside the worker, and that wait counts against each task's 10-second timeout. After a
restart, when every pathway replays its history, a worker holding 100 tasks on two cores let
tasks run past 5 seconds and some time out, and Temporal then refuses updates to those pathways
until the retry. Tasks left on the server wait without a clock running.
"""


def build_worker(
    client: Client,
    pool: asyncpg.Pool,
    *,
    task_queue: str,
    store: PostgresEventStore | None = None,
) -> Worker:
    """A worker for every pathways workflow and activity on ``task_queue``.

    ``store`` is the process's event store (``Database.event_store()``); without one, a store
    over ``pool`` without a key-encryption key, which refuses to write or read any personal
    field (fail closed: data keys are never stored unwrapped).
    """
    store_activities = EventStoreActivities(store or PostgresEventStore(pool))
    notices = NoticeActivities(pool)
    return Worker(
        client,
        task_queue=task_queue,
        max_concurrent_workflow_tasks=WORKFLOW_TASK_SLOTS,
        workflows=list(WORKFLOWS),
        activities=[
            store_activities.append_events,
            notices.deliver_handover_notice,
            notices.notify_escalation,
        ],
    )


async def run_worker(settings: Settings) -> None:
    """Run a worker until SIGTERM or SIGINT, then finish in-flight tasks and exit."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with open_services(
        settings, progress=lambda line: log.info("progress", detail=line)
    ) as services:
        database = await connect_database(settings, services.database_url)
        pool = database.pool
        try:
            client = await connect_temporal(settings, services.temporal_address)
            worker = build_worker(
                client, pool, task_queue=settings.task_queue, store=database.event_store()
            )
            log.info(
                "worker_started", task_queue=settings.task_queue, temporal=services.temporal_address
            )
            async with worker, asyncio.TaskGroup() as background:
                if settings.seal_interval_seconds > 0:
                    background.create_task(
                        seal_periodically(
                            pool,
                            interval_seconds=settings.seal_interval_seconds,
                            stop=stop,
                            signer=database.keyring.seal_signer,
                        )
                    )
                await stop.wait()
                log.info("worker_stopping")
        finally:
            await pool.close()
    log.info("worker_stopped")
