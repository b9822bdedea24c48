"""What a running API process holds: the pool, the Temporal client and the store over the pool."""

from __future__ import annotations

import asyncpg
from temporalio.client import Client

from eventstore import PostgresEventStore


class ApiRuntime:
    """The API's collaborators, built in ``main()`` (or by a test) and passed in explicitly.

    Args:
        pool: the process's pool.
        client: the Temporal client.
        task_queue: where the pathway workflows run.
        store: the process's event store (``Database.event_store()``, with its keys); None: a
            store over ``pool`` whose key store holds unwrapped keys (tests without a keyring).
    """

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        client: Client,
        task_queue: str,
        store: PostgresEventStore | None = None,
    ) -> None:
        self.pool = pool
        self.client = client
        self.task_queue = task_queue
        self.store = store if store is not None else PostgresEventStore(pool)
