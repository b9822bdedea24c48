"""``pathways reconcile [--repair] [--json]``: Temporal against the event store."""

from __future__ import annotations

import argparse
import sys

from workers.settings import Settings

EXIT_OK, EXIT_DIFFERENT = 0, 1


async def reconcile_command(args: argparse.Namespace, settings: Settings) -> int:
    """Report every pathway whose workflow disagrees with its stream; repair on request.

    Exit 0 when all agree (or every difference was repaired), 1 when differences remain.
    """
    from workers.database import connect_database
    from workers.reconcile import reconcile
    from workers.services import open_services
    from workers.temporal_client import connect_temporal

    async with open_services(
        settings, progress=lambda line: print(line, file=sys.stderr)
    ) as services:
        database = await connect_database(settings, services.database_url)
        try:
            client = await connect_temporal(settings, services.temporal_address)
            report = await reconcile(
                database.event_store(),
                client,
                task_queue=settings.task_queue,
                repair=args.repair,
            )
        finally:
            await database.close()
    if args.json:
        print(report.model_dump_json())
    else:
        for d in report.differences:
            seen = "none" if d.workflow_version is None else str(d.workflow_version)
            done = "; restarted from the store" if d.repaired else ""
            print(
                f"{d.pathway_id}: {d.difference.value.replace('_', ' ')} (store version"
                f" {d.store_version}, workflow version {seen}){done}"
            )
        print(
            f"{report.pathways_checked} pathways checked, {report.in_agreement} in agreement,"
            f" {len(report.differences)} differ"
            + ("" if args.repair or not report.differences else " (run with --repair)")
        )
    unrepaired = [d for d in report.differences if not d.repaired]
    return EXIT_DIFFERENT if unrepaired else EXIT_OK
