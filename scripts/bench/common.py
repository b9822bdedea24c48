"""What the benchmarks share: a scratch database, the cleanup of their workflows, the machine."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from temporalio.api.batch.v1 import BatchOperationTermination
from temporalio.api.enums.v1 import BatchOperationState
from temporalio.api.workflowservice.v1 import (
    DescribeBatchOperationRequest,
    StartBatchOperationRequest,
)
from temporalio.client import Client
from temporalio.service import RPCError

from eventstore import PostgresEventStore, PostgresKeyStore, StaticKeyEncryptionKeys

Say = Callable[[str], None]
"""Where a bench reports its progress (a line to stderr)."""


@contextlib.asynccontextmanager
async def scratch_database(dsn: str, name: str) -> AsyncIterator[str]:
    """A database ``name`` of the bench's own on the same server, dropped afterwards.

    Falls back to the configured database when the role may not create databases; what the
    bench wrote then stays behind.
    """
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        created = True
    except asyncpg.InsufficientPrivilegeError:
        created = False
    finally:
        await admin.close()
    if not created:
        yield dsn
        return
    parts = urlsplit(dsn)
    try:
        yield urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))
    finally:
        admin = await asyncpg.connect(dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def terminate_workflows(
    client: Client, queues: Sequence[str], say: Say, *, wait_seconds: float = 300
) -> None:
    """Terminate the bench's running workflows on ``queues`` server-side, in one batch job, and
    wait until the job is done.

    Why wait: the dev server runs few batch jobs at once and refuses more ("Max concurrent batch
    operations is reached"); a bench that returned at once left the next run's cleanup refused and
    its workflows running, and open workflows piling up in a data directory slowed every later
    run until updates timed out. A refused job is retried while an earlier one finishes.
    """
    on_queues = " OR ".join(f"TaskQueue = '{q}'" for q in queues)
    job_id = str(uuid.uuid4())
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                await client.workflow_service.start_batch_operation(
                    StartBatchOperationRequest(
                        namespace=client.namespace,
                        job_id=job_id,
                        visibility_query=f"ExecutionStatus = 'Running' AND ({on_queues})",
                        reason="pathways bench finished",
                        termination_operation=BatchOperationTermination(),
                    )
                )
                break
            except RPCError as exc:
                if "concurrent batch" not in str(exc) or time.monotonic() > deadline:
                    raise
                await asyncio.sleep(2)
        while time.monotonic() < deadline:
            job = await client.workflow_service.describe_batch_operation(
                DescribeBatchOperationRequest(namespace=client.namespace, job_id=job_id)
            )
            if job.state != BatchOperationState.BATCH_OPERATION_STATE_RUNNING:
                if job.state == BatchOperationState.BATCH_OPERATION_STATE_FAILED:
                    say(f"terminating the bench workflows failed: {job.reason or 'no reason'}")
                return
            await asyncio.sleep(1)
        say(f"the bench workflows are still being terminated after {wait_seconds:.0f} s")
    except Exception as exc:  # cleanup is best effort; the figures stand
        say(f"could not terminate the bench workflows: {exc}")


def memory_total_mb() -> int | None:
    """The machine's memory (``MemTotal`` of ``/proc/meminfo``), None where there is none."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    return None


def scratch_store(pool: asyncpg.Pool, **options: Any) -> PostgresEventStore:
    """The event store over a bench's scratch database, as the product wires it: data keys
    wrapped under a key-encryption key (a random one: the scratch database is dropped after)."""
    keys = StaticKeyEncryptionKeys(os.urandom(32))
    return PostgresEventStore(pool, PostgresKeyStore(pool, key_encryption_keys=keys), **options)
