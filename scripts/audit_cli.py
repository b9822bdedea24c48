"""``pathways audit replay | export | access-log``: the auditor's reads, logged like the API's."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

from api.access_log import AccessEntry, append_access, read_access_log, verify_access_log
from api.access_log.purposes import Purpose
from api.fhir.export import pathway_bundle, validate_bundle
from api.pathways import load_pathway
from domain import from_payload, personal_fields_of
from domain.moments import within_range
from domain.timeline import timeline_line
from workflows.inputs import stream_id

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _entry(
    args: argparse.Namespace, action: str, pathway_id: str | None, resource: str
) -> AccessEntry:
    actor = getattr(args, "actor", "cli")
    return AccessEntry(
        principal_id="cli",
        role="auditor",
        organisation_id="operator",
        subject_id=actor,
        purpose=Purpose.HCOMPL.value,
        action=action,
        resource=resource,
        pathway_id=pathway_id,
    )


async def audit_reads(  # noqa: PLR0911, PLR0912, PLR0915 - one flat dispatcher of three reads
    args: argparse.Namespace, settings: object
) -> int:
    """Replay, export or read the access log from the command line."""
    from scripts.cli import open_database

    at: datetime | None = None
    if getattr(args, "at", None):
        try:
            at = datetime.fromisoformat(args.at)
        except ValueError:
            print(f"pathways: --at: not an ISO 8601 time: {args.at}", file=sys.stderr)
            return EXIT_USAGE
        try:
            within_range(at)
        except ValueError as exc:
            print(f"pathways: --at: {exc}", file=sys.stderr)
            return EXIT_USAGE
    database = await open_database(settings)
    pool = database.pool
    try:
        if args.action == "access-log":
            async with pool.acquire() as conn:
                if args.verify:
                    report = await verify_access_log(conn, verifier=database.keyring.seal_verifier)
                    print(
                        report.model_dump_json()
                        if args.json
                        else (
                            f"intact: {report.entries_checked} entries"
                            if report.ok
                            else f"BROKEN: {report.first_failure}"
                        )
                    )
                    return EXIT_OK if report.ok else EXIT_FAILED
                await append_access(
                    conn, [_entry(args, "query", args.pathway, "CLI audit access-log")]
                )
                items = await read_access_log(
                    conn, pathway_id=args.pathway, after_seq=args.after, limit=args.limit
                )
            if args.json:
                print(json.dumps([i.model_dump(mode="json") for i in items]))
            else:
                for i in items:
                    print(
                        f"{i.seq:>6} {i.recorded_at.isoformat()} {i.role}:{i.organisation_id}/"
                        f"{i.subject_id} {i.purpose} {i.action} {i.resource}"
                        f" {i.pathway_id or ','.join(i.pathway_ids)} {i.outcome}"
                    )
            return EXIT_OK
        store = database.event_store()
        loaded = await load_pathway(store, args.pathway_id, as_of_time=at)
        current = loaded if at is None else await load_pathway(store, args.pathway_id)
        action = "export" if args.action == "export" else "read"
        async with pool.acquire() as conn:
            await append_access(
                conn,
                [_entry(args, action, args.pathway_id, f"CLI audit {args.action}")],
            )
        if current is None:
            print(f"pathways: no pathway {args.pathway_id}", file=sys.stderr)
            return EXIT_FAILED
        if args.action == "export":
            async with pool.acquire() as conn:
                rows = await conn.fetch(
                    "SELECT version, hash FROM eventstore.events WHERE stream_id = $1",
                    stream_id(args.pathway_id),
                )
                accesses = await read_access_log(conn, pathway_id=args.pathway_id, limit=100_000)
            hashes = {int(r["version"]): bytes(r["hash"]) for r in rows}
            bundle = pathway_bundle(
                args.pathway_id,
                current.state,
                current.events,
                hashes,
                accesses,
                now=datetime.now(UTC),
            )
            validate_bundle(bundle)
            print(json.dumps(bundle))
            return EXIT_OK
    finally:
        await pool.close()
    events = [] if loaded is None else loaded.events
    state = None if loaded is None else loaded.state
    if args.json:
        print(
            json.dumps(
                {
                    "pathway_id": args.pathway_id,
                    "as_of_time": at.isoformat() if at else None,
                    "events": [
                        {
                            "version": r.version,
                            "type": r.type,
                            "recorded_at": r.recorded_at.isoformat(),
                            "actor": r.metadata.actor,
                            "data": {
                                k: v
                                for k, v in r.payload.items()
                                if k not in personal_fields_of(r.type)
                            },
                        }
                        for r in events
                    ],
                    "state": None if state is None else state.model_dump(mode="json"),
                }
            )
        )
        return EXIT_OK
    print(
        f"== {args.pathway_id}"
        + (f" as of {at.isoformat()}" if at else "")
        + f": {len(events)} events"
    )
    for r in events:
        print(
            "   " + timeline_line(from_payload(r.type, r.schema_version, r.payload), seconds=True)
        )
    if state is not None:
        responsible = {t.track.value: t.responsible_org for t in state.active_tracks()}
        coordinator = state.coordinator.worker_id if state.coordinator else None
        print(
            f"   status {state.status.value}; coordinator {coordinator}; responsible {responsible}"
        )
    else:
        print("   (the pathway did not exist yet)")
    return EXIT_OK
