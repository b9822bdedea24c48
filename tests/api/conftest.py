"""The API in-process over real PostgreSQL and a real Temporal dev server, with a real worker."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from temporalio.client import Client

from api.app import create_app
from api.auth.principals import Role
from api.auth.tokens import issue_token
from api.organisations import add_organisation
from api.projections.runner import catch_up
from api.runtime import ApiRuntime
from eventstore import create_pool
from tests.keys import keyed_store
from workers.worker import build_worker, prepare_database

# The organisations and the coordinator of the routes the tests drive.
HOSPITAL, MUNICIPALITY, IPS = "org-nl-hospital-1", "org-nl-municipality-1", "org-nl-ips-1"
OTHER = "org-nl-municipality-2"  # a party to none of them
CW = "cw-0001"
# Organisations outside every template (the auditors' and the operators'), registered with the
# seeded ones above.
INSPECTORATE, OPERATOR = "org-inspectorate", "org-operator"


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A migrated pool (event store, delivery, API and projection tables) on a fresh database."""
    pool = await create_pool(database_url)
    await prepare_database(pool)
    async with pool.acquire() as conn:
        for org in (INSPECTORATE, OPERATOR):
            await add_organisation(conn, org_id=org, display_name=org)
    yield pool
    await pool.close()


@pytest.fixture
async def runtime(
    pool: asyncpg.Pool, temporal_client: Client, task_queue: str
) -> AsyncIterator[ApiRuntime]:
    """The API's runtime with a worker of the real product polling the test's task queue."""
    async with build_worker(temporal_client, pool, task_queue=task_queue, store=keyed_store(pool)):
        yield ApiRuntime(
            pool=pool, client=temporal_client, task_queue=task_queue, store=keyed_store(pool)
        )


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


@dataclass(frozen=True)
class Parties:
    """The principals of a route, each with an HTTP session of its own."""

    coordinator: Caller  # the case worker CW of the municipality
    hospital: Caller  # the hospital's ward system
    municipality: Caller  # the municipality's intake
    ips: Caller  # the IPS provider's employment specialist
    stranger: Caller  # an agency that is no party
    auditor: Caller
    admin: Caller


@pytest.fixture
async def parties(http: httpx.AsyncClient, make_token: TokenFactory) -> Parties:
    """A token and a session for each principal of a route."""
    return Parties(
        coordinator=Caller(http, await make_token("caseworker", MUNICIPALITY, CW)),
        hospital=Caller(http, await make_token("agency", HOSPITAL, "ward-1")),
        municipality=Caller(http, await make_token("agency", MUNICIPALITY, "intake-1")),
        ips=Caller(http, await make_token("agency", IPS, "es-1")),
        stranger=Caller(http, await make_token("agency", OTHER)),
        auditor=Caller(http, await make_token("auditor", INSPECTORATE, "aud-1")),
        admin=Caller(http, await make_token("admin", OPERATOR, "ops-1")),
    )


def opening(pathway_id: str) -> dict[str, Any]:
    """The body that opens a pathway coordinated by CW, entering from the hospital."""
    return {
        "type": "OpenPathway",
        "actor": CW,
        "pathway_id": pathway_id,
        "template_id": "nl",
        "template_version": 1,
        "coordinator_id": CW,
        "coordinator_org": MUNICIPALITY,
        "supervisor_id": "sup-0001",
        "entry_channel": "hospital",
        "tracks": {"clinical": HOSPITAL},
    }


def command(type_: str, **fields: Any) -> dict[str, Any]:
    """A command's body as CW sends it."""
    return {"type": type_, "actor": CW, **fields}


def discharged_with_consent() -> list[dict[str, Any]]:
    """The bodies that admit and discharge the person and let the municipality see the care plan."""
    return [
        command("RecordAdmission", hospital_org=HOSPITAL, ward_type="acute"),
        command("RecordDischarge"),
        command(
            "GrantConsent",
            recipient_org=MUNICIPALITY,
            purpose="handover",
            data_categories=["care_plan"],
            expires_at=(datetime.now(UTC) + timedelta(days=365)).isoformat(),
        ),
    ]
