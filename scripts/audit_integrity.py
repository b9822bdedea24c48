"""``pathways audit seal | anchor | verify``: the tamper-evidence commands of the auditor's CLI.

``seal`` seals both logs (event store and access log), signed with the deployment's seal key.
``anchor`` prints the newest seal of each log as one signed line to record outside the database.
``verify`` checks every chain, seal and signature, and the store against recorded anchor lines
(``--anchor FILE``, ``--expect LINE``); with an access-log anchor the access log is checked too.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from api.access_log import AccessLogReport, verify_access_log
from api.access_log.seals import newest_access_seal, seal_access_log
from eventstore import (
    Anchor,
    AnchorError,
    SealedLog,
    VerificationReport,
    parse_anchor,
    parse_anchors,
)
from eventstore.connections import Connection
from workers.settings import Settings

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


async def integrity_command(args: argparse.Namespace, settings: Settings) -> int:
    """Run ``audit seal``, ``audit anchor`` or ``audit verify``."""
    from scripts.cli import open_database

    anchors: list[Anchor] = []
    if args.action == "verify":
        try:
            anchors = _anchors(args.anchor, args.expect)
        except AnchorError as exc:
            print(f"pathways: {exc}", file=sys.stderr)
            return EXIT_USAGE
    database = await open_database(settings)
    try:
        store = database.event_store(notify=False)
        if args.action == "seal":
            made = await store.seal()
            access = await seal_access_log(database.pool, signer=database.keyring.seal_signer)
            if not made and not access:
                print("nothing new to seal")
            else:
                print(
                    f"sealed: {len(made)} new seal(s) of the event store,"
                    f" {len(access)} of the access log"
                )
            return EXIT_OK
        if args.action == "anchor":
            async with database.pool.acquire() as conn:
                return await _print_anchors(conn, json_output=args.json)
        report = await store.verify(anchors=anchors)
        access_report = None
        if any(a.log is SealedLog.ACCESS_LOG for a in anchors):
            async with database.pool.acquire() as conn:
                access_report = await verify_access_log(
                    conn, verifier=database.keyring.seal_verifier, anchors=anchors
                )
    finally:
        await database.close()
    return _print_verify(report, access_report, json_output=args.json)


def _print_verify(
    report: VerificationReport, access_report: AccessLogReport | None, *, json_output: bool
) -> int:
    ok = report.ok and (access_report is None or access_report.ok)
    if json_output:
        document = report.model_dump(mode="json")
        if access_report is not None:
            document = {
                **document,
                "ok": ok,
                "access_log": access_report.model_dump(mode="json"),
            }
        print(json.dumps(document))
    elif ok:
        print(
            f"intact: {report.events_checked} events in {report.streams_checked} streams, "
            f"{report.seals_checked} seals ({report.unsealed_events} events not yet sealed)"
            + (f"; {report.anchors_checked} anchor(s) match" if report.anchors_checked else "")
            + (
                f"; access log: {access_report.entries_checked} entries,"
                f" {access_report.seals_checked} seals"
                if access_report is not None
                else ""
            )
        )
    else:
        failures = [*report.failures, *(access_report.failures if access_report else [])]
        print(f"BROKEN: {failures[0]}", file=sys.stderr)
        for failure in failures[1:]:
            print(f"  also: {failure}", file=sys.stderr)
    return EXIT_OK if ok else EXIT_FAILED


def _anchors(files: list[str], lines: list[str]) -> list[Anchor]:
    anchors: list[Anchor] = []
    for name in files:
        try:
            text = Path(name).read_text(encoding="utf-8")
        except OSError as exc:
            raise AnchorError(f"--anchor {name}: {exc.strerror or exc}") from None
        try:
            anchors += parse_anchors(text)
        except AnchorError as exc:
            raise AnchorError(f"--anchor {name}: {exc}") from None
    for line in lines:
        try:
            anchors.append(parse_anchor(line))
        except AnchorError as exc:
            raise AnchorError(f"--expect: {exc}") from None
    if (files or lines) and not anchors:
        raise AnchorError("--anchor: the file holds no anchor line")
    return anchors


async def _print_anchors(conn: Connection, *, json_output: bool) -> int:
    anchors: list[Anchor] = []
    row = await conn.fetchrow(
        "SELECT seal_number, digest, signature, signing_key_id,"
        " (SELECT sum(event_count) FROM eventstore.seals) AS covered"
        " FROM eventstore.seals ORDER BY seal_number DESC LIMIT 1"
    )
    if row is not None:
        anchors.append(_anchor(SealedLog.EVENTSTORE, row, int(row["covered"])))
    access = await newest_access_seal(conn)
    if access is not None:
        anchors.append(_anchor(SealedLog.ACCESS_LOG, access[0], access[1]))
    if not anchors:
        print("pathways: nothing is sealed yet: run `pathways audit seal` first", file=sys.stderr)
        return EXIT_FAILED
    if any(not a.signature for a in anchors):
        print(
            "pathways: the newest seal is not signed (sealed before seals were signed):"
            " run `pathways audit seal` after new entries",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if json_output:
        print(
            json.dumps(
                [
                    {
                        "log": a.log.value,
                        "seal_number": a.seal_number,
                        "covered": a.covered,
                        "digest": a.digest.hex(),
                        "signing_key_id": a.signing_key_id,
                        "line": a.line(),
                    }
                    for a in anchors
                ]
            )
        )
    else:
        for anchor in anchors:
            print(anchor.line())
    return EXIT_OK


def _anchor(log: SealedLog, row: object, covered: int) -> Anchor:
    record = dict(row)  # type: ignore[call-overload]
    return Anchor(
        log=log,
        seal_number=int(record["seal_number"]),
        covered=covered,
        digest=bytes(record["digest"]),
        signing_key_id=record["signing_key_id"] or "0" * 16,
        signature=bytes(record["signature"] or b""),
    )
