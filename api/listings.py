"""Lists served from the projections (caseload, at-risk, inbox), as plain JSON rows.

The projections package (``api.projections``) owns the tables and queries; this module only calls
its query functions and turns their row models into JSON, so the HTTP layer does not depend on
the projections' row classes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
from pydantic import BaseModel

from api.errors import UnavailableError, UnprocessableError

_DB_DOWN = (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError)


def _rows(result: Any) -> list[dict[str, Any]]:
    if isinstance(result, BaseModel):
        result = getattr(result, "items", None) or getattr(result, "rows", None) or [result]
    return [r.model_dump(mode="json") if isinstance(r, BaseModel) else dict(r) for r in result]


async def caseload(
    pool: asyncpg.Pool, *, coordinator_id: str, limit: int, after: str | None
) -> list[dict[str, Any]]:
    """The coordinator's pathways."""
    from api.projections import queries

    try:
        async with pool.acquire() as conn:
            result = await queries.caseload(
                conn, coordinator_id=coordinator_id, limit=limit, after=after
            )
    except _DB_DOWN as exc:
        raise UnavailableError("PostgreSQL is unavailable") from exc
    return _rows(result)


async def at_risk(
    pool: asyncpg.Pool, *, coordinator_id: str, now: datetime
) -> list[dict[str, Any]]:
    """The coordinator's pathways at risk: open gaps, overdue steps, deadlines within 7 days."""
    from api.projections import queries

    try:
        async with pool.acquire() as conn:
            result = await queries.at_risk(conn, coordinator_id=coordinator_id, now=now)
    except _DB_DOWN as exc:
        raise UnavailableError("PostgreSQL is unavailable") from exc
    return _rows(result)


async def inbox(
    pool: asyncpg.Pool, *, organisation_id: str, status: str | None, limit: int, after: str | None
) -> list[dict[str, Any]]:
    """Handovers addressed to the organisation."""
    from api.projections import queries

    try:
        async with pool.acquire() as conn:
            result = await queries.inbox(
                conn, organisation_id=organisation_id, status=status, limit=limit, after=after
            )
    except ValueError as exc:
        raise UnprocessableError("after: not a cursor from a previous page", field="after") from exc
    except _DB_DOWN as exc:
        raise UnavailableError("PostgreSQL is unavailable") from exc
    return _rows(result)


def pathway_ids_of(rows: list[dict[str, Any]]) -> list[str]:
    """The pathways a list mentions (for the access log)."""
    return sorted({str(r["pathway_id"]) for r in rows if r.get("pathway_id")})
