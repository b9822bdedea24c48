"""The API in-process over real PostgreSQL and a real Temporal dev server, with a real worker."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from temporalio.client import Client

from api.app import create_app
from api.auth.principals import Role
from api.auth.tokens import issue_token
from api.projections.runner import catch_up
from api.runtime import ApiRuntime
from eventstore import create_pool
from workers.worker import build_worker, prepare_database


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A migrated pool (event store, delivery, API and projection tables) on a fresh database."""
    pool = await create_pool(database_url)
    await prepare_database(pool)
    yield pool
    await pool.close()


@pytest.fixture
async def runtime(
    pool: asyncpg.Pool, temporal_client: Client, task_queue: str
) -> AsyncIterator[ApiRuntime]:
    """The API's runtime with a worker of the real product polling the test's task queue."""
    async with build_worker(temporal_client, pool, task_queue=task_queue):
        yield ApiRuntime(pool=pool, client=temporal_client, task_queue=task_queue)


@pytest.fixture
def app(runtime: ApiRuntime) -> FastAPI:
    """The app on the test's runtime; projections are brought up to date with ``catch_up``."""
    return create_app(runtime=runtime, run_projections=False)


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client speaking to the app in-process."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api", timeout=120) as c:
        yield c


TokenFactory = Callable[..., Awaitable[str]]


@pytest.fixture
def make_token(pool: asyncpg.Pool) -> TokenFactory:
    """Issue a token and return its bearer header value."""

    async def make(
        role: str, organisation: str, subject: str | None = None, days: float = 1
    ) -> str:
        async with pool.acquire() as conn:
            issued = await issue_token(
                conn,
                role=Role(role),
                organisation_id=organisation,
                subject_id=subject,
                expires_in=timedelta(days=days),
                now=datetime.now(UTC),
            )
        return issued.token

    return make


@dataclass
class Caller:
    """One principal's HTTP session."""

    http: httpx.AsyncClient
    token: str
    keys: int = 0

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **extra}

    async def get(self, path: str, **params: object) -> httpx.Response:
        return await self.http.get(path, headers=self.headers(), params=params)  # type: ignore[arg-type]

    async def post(
        self, path: str, body: object = None, *, key: str | None = None
    ) -> httpx.Response:
        self.keys += 1
        headers = self.headers(**{"Idempotency-Key": key or f"key-{id(self)}-{self.keys:04d}"})
        return await self.http.post(path, headers=headers, json=body)


async def project(pool: asyncpg.Pool) -> int:
    """Bring the projections up to date (the API process does this in its lifespan)."""
    return await catch_up(pool)


async def access_log_count(pool: asyncpg.Pool) -> int:
    """Entries in the access log."""
    return int(await pool.fetchval("SELECT count(*) FROM api.access_log"))
