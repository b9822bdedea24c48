"""What the benchmarks share: a scratch database, the cleanup of their workflows, the machine."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from temporalio.api.batch.v1 import BatchOperationTermination
from temporalio.api.workflowservice.v1 import StartBatchOperationRequest
from temporalio.client import Client

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


async def terminate_workflows(client: Client, queues: Sequence[str], say: Say) -> None:
    """Terminate the bench's running workflows on ``queues`` server-side, in one batch job."""
    on_queues = " OR ".join(f"TaskQueue = '{q}'" for q in queues)
    try:
        await client.workflow_service.start_batch_operation(
            StartBatchOperationRequest(
                namespace=client.namespace,
                job_id=str(uuid.uuid4()),
                visibility_query=f"ExecutionStatus = 'Running' AND ({on_queues})",
                reason="pathways bench finished",
                termination_operation=BatchOperationTermination(),
            )
        )
    except Exception as exc:  # cleanup is best effort; the figures stand
        say(f"could not terminate the bench workflows: {exc}")


def memory_total_mb() -> int | None:
    """The machine's memory (``MemTotal`` of ``/proc/meminfo``), None where there is none."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    return None
