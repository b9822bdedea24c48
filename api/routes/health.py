"""Liveness and readiness (no token needed; they reveal nothing about anyone)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from pydantic import BaseModel
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

from api.errors import ErrorResponse, UnavailableError

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """The process answers."""

    status: str


class Readiness(BaseModel):
    """Each dependency's state."""

    status: str
    postgres: str
    temporal: str


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
    return Readiness(status="ready", postgres="ok", temporal="ok")
