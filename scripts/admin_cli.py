"""``pathways admin token create | revoke | list``: API bearer tokens for scripted use."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta

from api.auth.principals import Role
from api.auth.tokens import TokenError, issue_token, list_tokens, revoke_token


async def token_command(args: argparse.Namespace, settings: object) -> int:
    """Run one token action; exit 0, 1 (no such token) or 2 (bad option)."""
    from scripts.cli import open_pool
    from workers.worker import prepare_database

    pool = await open_pool(settings)
    try:
        await prepare_database(pool)
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
                        now=now,
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
                found = await revoke_token(conn, args.token_id, now=now)
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
