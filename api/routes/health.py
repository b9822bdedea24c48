"""Liveness and readiness (no token needed; they reveal nothing about anyone)."""

from __future__ import annotations

import asyncio

import asyncpg
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

from api.errors import ErrorResponse, UnavailableError

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """The process answers."""

    status: str


class Readiness(BaseModel):
    """Each dependency's state; ``degraded`` still serves, but something needs an operator."""

    status: str
    postgres: str
    temporal: str
    projections: str = "ok"
    problems: list[str] = []
    """Why the status is ``degraded``: one sentence each, naming events by log position."""


LAG_SECONDS_DEGRADED = 60.0
"""Projections this far behind the log make the API degraded: new work is not on screens yet."""


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
)
async def prometheus_metrics(request: Request) -> Response:
    """Operators' metrics (Prometheus text format): counts, durations and lags, no one's data."""
    from api.metrics import scrape

    runtime = getattr(request.app.state, "runtime", None)
    if runtime is None:
        raise UnavailableError("the API is starting")
    try:
        body = await scrape(runtime.pool)
    except Exception as exc:
        raise UnavailableError("PostgreSQL is unavailable") from exc
    return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")


@router.get("/health", response_model=Health)
async def health() -> Health:
    """The process is alive."""
    return Health(status="ok")


@router.get(
    "/ready",
    response_model=Readiness,
    responses={503: {"model": ErrorResponse, "description": "a dependency is down"}},
)
async def ready(request: Request) -> Readiness:
    """PostgreSQL and Temporal answer; 503 naming the one that does not."""
    runtime = getattr(request.app.state, "runtime", None)
    if runtime is None:
        raise UnavailableError("the API is starting")
    try:
        async with asyncio.timeout(5):
            await runtime.pool.fetchval("SELECT 1")
    except Exception as exc:
        raise UnavailableError("PostgreSQL is unavailable") from exc
    try:
        async with asyncio.timeout(5):
            await runtime.client.workflow_service.get_system_info(GetSystemInfoRequest())
    except Exception as exc:
        raise UnavailableError("Temporal is unavailable") from exc
    problems = await _projection_problems(runtime.pool)
    return Readiness(
        status="degraded" if problems else "ready",
        postgres="ok",
        temporal="ok",
        projections="degraded" if problems else "ok",
        problems=problems,
    )


async def _projection_problems(pool: asyncpg.Pool) -> list[str]:
    from api.projections.quarantine import open_quarantine
    from api.projections.runner import projection_subscription

    problems: list[str] = []
    try:
        async with asyncio.timeout(5):
            async with pool.acquire() as connection:
                quarantined = await open_quarantine(connection, limit=5)
            lag = await projection_subscription(pool).lag()
    except Exception as exc:
        raise UnavailableError("PostgreSQL is unavailable") from exc
    problems += [
        f"the projections set aside the event at position {q.position} ({q.event_type},"
        f" {q.reason}); its pathway is shown stale (pathways projections quarantine)"
        for q in quarantined
    ]
    if lag.seconds_behind is not None and lag.seconds_behind > LAG_SECONDS_DEGRADED:
        problems.append(
            f"the projections are {lag.events_behind} events and {lag.seconds_behind:.0f} s"
            " behind the log"
        )
    return problems
