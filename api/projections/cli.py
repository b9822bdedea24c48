"""CLI glue for ``pathways projections rebuild | quarantine | retry``."""

from __future__ import annotations

import json

import asyncpg

from api.projections.quarantine import open_quarantine
from api.projections.rebuild import rebuild, retry_quarantined


async def rebuild_command(pool: asyncpg.Pool, *, json_output: bool) -> int:
    """Rebuild the projections from position zero and print a summary; return the exit code."""
    report = await rebuild(pool)
    if json_output:
        print(json.dumps(report.model_dump(), sort_keys=True))
    else:
        print(
            f"projections rebuilt: {report.events} events, {report.pathways} pathways, "
            f"{report.seconds:.2f} s"
            + (
                f"; {report.quarantined} pathway(s) set aside (pathways projections quarantine)"
                if report.quarantined
                else ""
            )
        )
    return 0


async def quarantine_command(pool: asyncpg.Pool, *, json_output: bool) -> int:
    """List the pathways set aside; exit 0 when there are none, 1 otherwise."""
    async with pool.acquire() as connection:
        items = await open_quarantine(connection, limit=10_000)
    if json_output:
        print(json.dumps([i.model_dump(mode="json") for i in items]))
    elif not items:
        print("no pathway is set aside: every event reached the projections")
    else:
        for i in items:
            print(
                f"{i.pathway_id}: {i.event_type} version {i.stream_version} (position"
                f" {i.position}) could not be projected: {i.reason}; {i.attempts} attempt(s)"
                f" since {i.first_failed_at.isoformat(timespec='seconds')}"
            )
    return 1 if items else 0


async def retry_command(pool: asyncpg.Pool, *, pathway_id: str | None, json_output: bool) -> int:
    """Project quarantined pathways again; exit 0 when none is left set aside, 1 otherwise."""
    report = await retry_quarantined(pool, pathway_id=pathway_id)
    if json_output:
        print(json.dumps(report.model_dump(), sort_keys=True))
    else:
        print(
            f"projected again: {len(report.resolved)} pathway(s);"
            f" still set aside: {len(report.still_quarantined)}"
        )
    return 1 if report.still_quarantined else 0
