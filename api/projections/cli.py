"""CLI glue for ``pathways projections rebuild``."""

from __future__ import annotations

import json

import asyncpg

from api.projections.rebuild import rebuild


async def rebuild_command(pool: asyncpg.Pool, *, json_output: bool) -> int:
    """Rebuild the projections from position zero and print a summary; return the exit code."""
    report = await rebuild(pool)
    if json_output:
        print(json.dumps(report.model_dump(), sort_keys=True))
    else:
        print(
            f"projections rebuilt: {report.events} events, {report.pathways} pathways, "
            f"{report.seconds:.2f} s"
        )
    return 0
