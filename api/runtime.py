"""What a running API process holds: the pool, the Temporal client and the store over the pool."""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg
from temporalio.client import Client

from eventstore import PostgresEventStore


@dataclass
class ApiRuntime:
    """The API's collaborators, built in ``main()`` (or by a test) and passed in explicitly."""

    pool: asyncpg.Pool
    client: Client
    task_queue: str
    store: PostgresEventStore = field(init=False)

    def __post_init__(self) -> None:
        self.store = PostgresEventStore(self.pool)
