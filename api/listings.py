"""Lists served from the projections (caseload, at-risk, inbox): one page, logged, as JSON.

The projections package (``api.projections``) owns the tables, the queries and their row models.
A list read here runs its query on the request's connection, records the access-log entry that
names every pathway listed, and serialises the rows once, straight from the row models to JSON
bytes: the models were validated when the query built them, so the page is neither copied into
dicts nor validated again. The routes keep their page models as ``response_model``, which is
what the OpenAPI document shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from fastapi import Response
from pydantic import BaseModel, SerializeAsAny, TypeAdapter

from api.deps import AccessLogger
from api.errors import UnprocessableError
from eventstore.connections import Connection

# Rows serialise as their own model (``SerializeAsAny``), whichever projection they come from.
_PAGE = TypeAdapter(dict[str, list[SerializeAsAny[BaseModel]]])


async def caseload(
    access: AccessLogger,
    *,
    coordinator_id: str,
    coordinator_org: str,
    limit: int,
    after: str | None,
) -> Response:
    """The coordinator's pathways (those they coordinate for their own organisation)."""
    from api.projections import queries

    async with access.db.use() as conn:
        rows = await queries.caseload(
            conn,
            coordinator_id=coordinator_id,
            coordinator_org=coordinator_org,
            limit=limit,
            after=after,
        )
        rows = await _mark_stale(conn, rows)
    return await _page(access, rows)


async def at_risk(
    access: AccessLogger, *, coordinator_id: str, coordinator_org: str, now: datetime
) -> Response:
    """The coordinator's pathways at risk: open gaps, overdue steps, deadlines within 7 days."""
    from api.projections import queries

    async with access.db.use() as conn:
        rows = await queries.at_risk(
            conn, coordinator_id=coordinator_id, coordinator_org=coordinator_org, now=now
        )
        rows = await _mark_stale(conn, rows)
    return await _page(access, rows)


async def inbox(
    access: AccessLogger, *, organisation_id: str, status: str | None, limit: int, after: str | None
) -> Response:
    """Handovers addressed to the organisation."""
    from api.projections import queries

    try:
        async with access.db.use() as conn:
            rows = await queries.inbox(
                conn, organisation_id=organisation_id, status=status, limit=limit, after=after
            )
            rows = await _mark_stale(conn, rows)
    except ValueError as exc:
        raise UnprocessableError("after: not a cursor from a previous page", field="after") from exc
    return await _page(access, rows)


Row = TypeVar("Row", bound=BaseModel)


async def _mark_stale(conn: Connection, rows: list[Row]) -> list[Row]:
    """Rows of quarantined pathways, marked ``stale`` (see ``api.projections.quarantine``)."""
    from api.projections.quarantine import held

    stale = await held(conn, pathway_ids_of(rows))
    if not stale:
        return rows
    return [
        row.model_copy(update={"stale": True}) if getattr(row, "pathway_id", None) in stale else row
        for row in rows
    ]


async def _page(access: AccessLogger, rows: Sequence[BaseModel]) -> Response:
    await access.record("query", pathway_ids=pathway_ids_of(rows))
    return Response(_PAGE.dump_json({"items": list(rows)}), media_type="application/json")


def pathway_ids_of(rows: Sequence[BaseModel]) -> list[str]:
    """The pathways a list mentions (for the access log)."""
    return sorted({str(p) for r in rows if (p := getattr(r, "pathway_id", None))})
