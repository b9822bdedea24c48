"""``pathways admin token create | revoke | list`` (API bearer tokens), ``admin org add | list |
remove`` (the organisation registry) and ``admin erase``."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta

from api.auth.principals import Role
from api.auth.tokens import TokenError, issue_token, list_tokens, revoke_token
from eventstore.connections import Connection


async def token_command(args: argparse.Namespace, settings: object) -> int:
    """Run one token action; exit 0, 1 (no such token) or 2 (bad option)."""
    from scripts.cli import open_database

    database = await open_database(settings)
    pool = database.pool
    try:
        async with pool.acquire() as conn:
            now = datetime.now(UTC)
            if args.action == "create":
                try:
                    issued = await issue_token(
                        conn,
                        role=Role(args.role),
                        organisation_id=args.organisation,
                        subject_id=args.subject,
                        expires_in=timedelta(days=args.expires_in),
                    )
                except TokenError as exc:
                    print(f"pathways: {exc}", file=sys.stderr)
                    return 2
                if args.json:
                    print(
                        json.dumps({"token": issued.token, **issued.info.model_dump(mode="json")})
                    )
                else:
                    info = issued.info
                    print(issued.token)
                    print(
                        f"{info.token_id} {info.role.value} {info.organisation_id}/"
                        f"{info.subject_id} expires {info.expires_at.isoformat()}"
                        " (the token is shown only now)",
                        file=sys.stderr,
                    )
                return 0
            if args.action == "revoke":
                found = await revoke_token(conn, args.token_id)
                if args.json:
                    print(json.dumps({"token_id": args.token_id, "revoked": found}))
                elif found:
                    print(f"revoked: {args.token_id}")
                else:
                    print(f"pathways: no token {args.token_id}", file=sys.stderr)
                return 0 if found else 1
            tokens = await list_tokens(conn)
    finally:
        await pool.close()
    if args.json:
        print(json.dumps([t.model_dump(mode="json") for t in tokens]))
    else:
        for t in tokens:
            state = "revoked" if t.revoked_at else ("expired" if t.expires_at <= now else "active")
            print(
                f"{t.token_id} {t.role.value:<10} {t.organisation_id}/{t.subject_id} {state}"
                f" expires {t.expires_at.isoformat()}"
            )
    return 0


async def org_command(args: argparse.Namespace, settings: object) -> int:
    """Run one registry action; exit 0, 1 (no such organisation) or 2 (bad option)."""
    from scripts.cli import open_database

    database = await open_database(settings)
    try:
        async with database.pool.acquire() as conn:
            if args.action == "add":
                return await _org_add(conn, args)
            if args.action == "remove":
                return await _org_remove(conn, args)
            return await _org_list(conn, args)
    finally:
        await database.close()


async def _org_add(conn: Connection, args: argparse.Namespace) -> int:
    from api.organisations import OrganisationError, add_organisation

    try:
        org, added = await add_organisation(
            conn,
            org_id=args.org_id,
            display_name=args.name,
            template_id=args.template,
            roles=args.role or (),
        )
    except OrganisationError as exc:
        print(f"pathways: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({**org.model_dump(mode="json"), "added": added}))
    elif added:
        print(f"added: {org.org_id} ({org.display_name})")
    else:
        state = "registered" if org.active else "registered and removed"
        print(f"already {state}: {org.org_id} ({org.display_name}); nothing changed")
    return 0


async def _org_remove(conn: Connection, args: argparse.Namespace) -> int:
    from api.organisations import remove_organisation

    found = await remove_organisation(conn, args.org_id, now=datetime.now(UTC))
    if args.json:
        print(json.dumps({"org_id": args.org_id, "removed": found}))
    elif found:
        print(
            f"removed: {args.org_id}; kept as inactive, so history still names it;"
            " its tokens no longer authenticate"
        )
    else:
        print(f"pathways: no organisation {args.org_id}", file=sys.stderr)
    return 0 if found else 1


async def _org_list(conn: Connection, args: argparse.Namespace) -> int:
    from api.organisations import list_organisations

    orgs = await list_organisations(conn, include_removed=args.all)
    if args.json:
        print(json.dumps([o.model_dump(mode="json") for o in orgs]))
        return 0
    for o in orgs:
        state = "" if o.active else " (removed)"
        roles = ",".join(o.roles) or "-"
        print(f"{o.org_id:<32} {o.template_id or '-':<6} {roles:<28} {o.display_name}{state}")
    return 0


async def erase_command(args: argparse.Namespace, settings: object) -> int:
    """``pathways admin erase PATHWAY --actor ID``: exit 0, 1 (refused or unknown) or 2 (bad id)."""
    from eventstore.key_hierarchy import erasure_completion
    from workers.database import connect_database
    from workers.erasure import ErasureRefusedError, InvalidErasureError, erase_pathway
    from workers.key_encryption_keys import rotate
    from workers.services import open_services
    from workers.settings import Settings
    from workers.temporal_client import connect_temporal

    assert isinstance(settings, Settings)
    async with open_services(
        settings, progress=lambda line: print(line, file=sys.stderr)
    ) as services:
        database = await connect_database(settings, services.database_url)
        pool = database.pool
        try:
            client = await connect_temporal(settings, services.temporal_address)
            try:
                report = await erase_pathway(
                    database.event_store(),
                    client,
                    args.pathway_id,
                    actor=args.actor,
                    wait_seconds=args.wait,
                )
            except ErasureRefusedError as exc:
                print(f"pathways: {exc}", file=sys.stderr)
                return 2 if isinstance(exc, InvalidErasureError) else 1
            keys = database.keyring.key_encryption_keys
            rotation = None
            if args.complete and keys is not None:
                rotation = await rotate(settings, pool, keys)
                keys = rotation.held
            completion = await erasure_completion(pool, args.pathway_id, keys)
        finally:
            await pool.close()
    if args.json:
        print(
            json.dumps(
                {
                    **report.model_dump(mode="json"),
                    "erasure": "complete" if completion.complete else "pending",
                    "completion": completion.model_dump(mode="json"),
                    "rotation": None if rotation is None else rotation.rotation.model_dump(),
                }
            )
        )
    else:
        temporal = {
            True: "deleted from Temporal",
            False: f"not yet gone from Temporal after {args.wait:g}s (it deletes asynchronously)",
            None: "deletion requested from Temporal",
        }[report.temporal_history_gone]
        print(
            f"erased: {report.pathway_id}; personal fields now read as erased; "
            f"{report.workflow_runs_deleted} workflow run(s) {temporal}"
        )
        if rotation is not None:
            print(f"rotated: {rotation.instructions}")
            if rotation.new_key_text is not None:
                print(f"new key-encryption key (shown only now): {rotation.new_key_text}")
        print(f"erasure {completion.reason}")
    return 0
