"""The ``pathways`` command line: one ``main()`` per process, settings first, fail fast."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

from workers.settings import SettingsError, load_settings

if TYPE_CHECKING:
    from workers.database import Database

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

# ``pathways bench TARGET [options]`` runs ``scripts.bench.<module>.main(options, settings)``.
BENCHMARKS = {"eventstore": "eventstore", "workflows": "workflows", "api": "api"}


MAX_TOKEN_DAYS = 3650


def _token_days(value: str) -> float:
    # A token's expiry is stored as a timestamptz: an unbounded number of days would overflow
    # Python's datetime (a traceback) or name a moment no reader can hold. Ten years is plenty.
    try:
        days = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of days: {value}") from None
    if not 0 < days <= MAX_TOKEN_DAYS:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most {MAX_TOKEN_DAYS} days")
    return days


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pathways",
        description="Event-sourced workflow engine for employment-support pathways.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("demo", help="run a synthetic pathway end to end and print its history")
    commands.add_parser("worker", help="run a worker until SIGTERM or SIGINT")
    dev = commands.add_parser("dev", help="the embedded stack in the background")
    dev.add_argument("action", choices=["up", "down", "status", "temporal-cli"])
    dev.add_argument("--json", action="store_true", help="print machine-readable status")
    dev.add_argument(
        "--temporal-ui",
        action="store_true",
        help="with up: also start Temporal's web UI (an operator's tool: no authentication,"
        " allows writes, outside the access log)",
    )
    audit = commands.add_parser("audit", help="auditor tools")
    audit_actions = audit.add_subparsers(dest="action", required=True, metavar="ACTION")
    verify = audit_actions.add_parser(
        "verify", help="check every hash chain and seal; exit 1 naming the first broken place"
    )
    verify.add_argument("--json", action="store_true", help="print the full report as JSON")
    verify.add_argument(
        "--anchor",
        action="append",
        default=[],
        metavar="FILE",
        help="a file of anchor lines recorded earlier (by `audit anchor`); may repeat",
    )
    verify.add_argument(
        "--expect",
        action="append",
        default=[],
        metavar="LINE",
        help="one anchor line recorded earlier; may repeat",
    )
    audit_actions.add_parser("seal", help="seal the global log and the access log up to now")
    anchor = audit_actions.add_parser(
        "anchor", help="print the newest signed seals as anchor lines to record outside"
    )
    anchor.add_argument("--json", action="store_true", help="print the anchors as JSON")
    _add_audit_reads(audit_actions)
    db = commands.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["migrate"])
    reconcile = commands.add_parser(
        "reconcile", help="compare every pathway's workflow with its stream in the event store"
    )
    reconcile.add_argument(
        "--repair",
        action="store_true",
        help="restart the workflow of every open pathway that differs, from its stored events",
    )
    reconcile.add_argument("--json", action="store_true")
    _add_api_commands(commands)
    bench = commands.add_parser(
        "bench", help="benchmarks on the embedded stack (not tests; figures go to the README)"
    )
    bench.add_argument("target", choices=sorted(BENCHMARKS))
    bench.add_argument("options", nargs=argparse.REMAINDER, help="options of that benchmark")
    return parser


def _add_audit_reads(audit_actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    replay = audit_actions.add_parser("replay", help="a pathway's history folded up to a time")
    replay.add_argument("pathway_id", metavar="PERSON", help="pseudonymous pathway id")
    replay.add_argument("--at", help="ISO 8601 time with offset (default: now)")
    replay.add_argument("--json", action="store_true", help="print events and state as JSON")
    replay.add_argument("--actor", default="cli", help="your pseudonymous id for the access log")
    export = audit_actions.add_parser("export", help="a pathway as a FHIR R4 Bundle (JSON)")
    export.add_argument("pathway_id", metavar="PERSON", help="pseudonymous pathway id")
    export.add_argument("--actor", default="cli", help="your pseudonymous id for the access log")
    export.add_argument("--json", action="store_true", help="accepted for symmetry; always JSON")
    access = audit_actions.add_parser("access-log", help="who read what (NEN 7513 access log)")
    access.add_argument("--pathway", help="only entries about this pathway")
    access.add_argument("--after", type=int, default=0, help="entries after this sequence number")
    access.add_argument("--limit", type=int, default=1000)
    access.add_argument("--verify", action="store_true", help="check the log's hash chain")
    access.add_argument("--json", action="store_true")


def _add_api_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    commands.add_parser("api", help="run the HTTP API (uvicorn) until SIGTERM or SIGINT")
    admin = commands.add_parser("admin", help="administration")
    admin_things = admin.add_subparsers(dest="thing", required=True, metavar="THING")
    token = admin_things.add_parser("token", help="API bearer tokens")
    token_actions = token.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = token_actions.add_parser("create", help="issue a token (printed once)")
    create.add_argument(
        "--role", required=True, choices=["agency", "caseworker", "auditor", "admin"]
    )
    create.add_argument("--organisation", required=True, help="pseudonymous organisation id")
    create.add_argument(
        "--subject", help="pseudonymous subject id (a case worker's coordinator id)"
    )
    create.add_argument("--expires-in", type=_token_days, default=90, metavar="DAYS")
    create.add_argument("--json", action="store_true")
    revoke = token_actions.add_parser("revoke", help="revoke a token at once")
    revoke.add_argument("token_id", metavar="ID")
    revoke.add_argument("--json", action="store_true")
    listing = token_actions.add_parser("list", help="tokens without their secrets")
    listing.add_argument("--json", action="store_true")
    _add_org_commands(admin_things)
    erase = admin_things.add_parser(
        "erase",
        help="erase a closed pathway's personal data (event store key and Temporal history)",
    )
    erase.add_argument("pathway_id", metavar="PATHWAY")
    erase.add_argument(
        "--actor", required=True, help="pseudonymous id of who erases (recorded in the history)"
    )
    erase.add_argument(
        "--wait",
        type=float,
        default=120,
        metavar="SECONDS",
        help="wait for Temporal to have deleted the history (default 120; 0: do not wait)",
    )
    erase.add_argument(
        "--complete",
        action="store_true",
        help="complete the erasure at once: rotate the key-encryption key (destroying the old one)",
    )
    erase.add_argument("--json", action="store_true")
    keys = admin_things.add_parser("keys", help="the key-encryption key of personal data")
    key_actions = keys.add_subparsers(dest="action", required=True, metavar="ACTION")
    rotate = key_actions.add_parser(
        "rotate", help="re-wrap every data key under a new key-encryption key; destroy the old"
    )
    rotate.add_argument("--json", action="store_true")
    status = key_actions.add_parser("status", help="which key-encryption keys wrap what")
    status.add_argument("--json", action="store_true")
    projections = commands.add_parser("projections", help="read models of the API")
    projections.add_argument(
        "action",
        choices=["rebuild", "quarantine", "retry"],
        help="rebuild from zero; list the pathways set aside; project them again",
    )
    projections.add_argument("--pathway", help="retry: only this pathway")
    projections.add_argument("--json", action="store_true")


def _add_org_commands(admin_things: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    org = admin_things.add_parser("org", help="the organisation registry")
    org_actions = org.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = org_actions.add_parser(
        "add", help="register an organisation (tokens and pathways may then name it)"
    )
    add.add_argument("org_id", metavar="ORG_ID", help="pseudonymous organisation id")
    add.add_argument("--name", required=True, help="display name")
    add.add_argument("--template", help="jurisdiction template it works in (nl, dk, uk, ...)")
    add.add_argument(
        "--role",
        action="append",
        help="an agency role of that template it plays (repeat for several)",
    )
    add.add_argument("--json", action="store_true")
    listing = org_actions.add_parser("list", help="registered organisations")
    listing.add_argument("--all", action="store_true", help="include removed organisations")
    listing.add_argument("--json", action="store_true")
    remove = org_actions.add_parser(
        "remove", help="mark an organisation inactive (kept for history; its tokens stop working)"
    )
    remove.add_argument("org_id", metavar="ORG_ID")
    remove.add_argument("--json", action="store_true")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pathways`` console script."""
    # pgserver's platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers); it falls back
    # to a private directory under /tmp, which is fine, so the warning is noise for users.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"pathways: {exc}", file=sys.stderr)
        return EXIT_USAGE

    from workers.telemetry import configure_telemetry

    configure_telemetry(settings, service_name=f"pathways-{args.command}")
    try:
        return _dispatch(args, settings)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from eventstore import MigrationError
        from workers.database_logins import DatabaseLoginError
        from workers.dev_server import DevServerError
        from workers.key_files import KeyFileError
        from workers.payload_codec import PayloadKeyError
        from workers.temporal_cli import TemporalCliNotFoundError
        from workers.temporal_client import ServiceUnavailableError

        if isinstance(
            exc,
            ServiceUnavailableError
            | TemporalCliNotFoundError
            | DevServerError
            | MigrationError
            | PayloadKeyError
            | DatabaseLoginError
            | KeyFileError,
        ):
            print(f"pathways: error: {exc}", file=sys.stderr)
            return EXIT_FAILED
        raise


def _dispatch(args: argparse.Namespace, settings: object) -> int:
    from workers.settings import Settings

    assert isinstance(settings, Settings)
    if args.command in {"demo", "worker"}:
        return _foreground(args, settings)
    if args.command == "dev":
        return _dev(args, settings)
    if args.command in {"db", "reconcile"}:
        return _database(args, settings)
    if args.command in {"api", "admin", "projections", "audit"}:
        return _dispatch_api(args, settings)
    if args.command == "bench":
        return _bench(args, settings)
    return EXIT_USAGE


def _database(args: argparse.Namespace, settings: object) -> int:
    """``db migrate`` and ``reconcile``: the store as the system of record."""
    from workers.settings import Settings

    assert isinstance(settings, Settings)
    if args.command == "db":
        return asyncio.run(_migrate(settings))
    from scripts.reconcile_cli import reconcile_command

    return asyncio.run(reconcile_command(args, settings))


def _foreground(args: argparse.Namespace, settings: object) -> int:
    """``demo`` and ``worker``: processes that run in the foreground until done or stopped."""
    from workers.settings import Settings

    assert isinstance(settings, Settings)
    if args.command == "demo":
        from scripts.demo import run_demo

        asyncio.run(run_demo(settings))
        return EXIT_OK
    from workers.worker import run_worker

    asyncio.run(run_worker(settings))
    return EXIT_OK


def _dispatch_api(args: argparse.Namespace, settings: object) -> int:
    """The HTTP API's commands: ``api``, ``admin token``, ``projections``, the audit reads."""
    from workers.settings import Settings

    assert isinstance(settings, Settings)
    if args.command == "audit" and args.action in {"verify", "seal", "anchor"}:
        from scripts.audit_integrity import integrity_command

        return asyncio.run(integrity_command(args, settings))
    if args.command == "api":
        from api.app import serve

        serve(settings)
        return EXIT_OK
    if args.command == "admin":
        return _admin(args, settings)
    if args.command == "projections":
        return asyncio.run(_projections(args, settings))
    from scripts.audit_cli import audit_reads

    return asyncio.run(audit_reads(args, settings))


def _admin(args: argparse.Namespace, settings: object) -> int:
    from scripts.admin_cli import erase_command, org_command, token_command
    from scripts.keys_cli import keys_command

    if args.thing == "erase":
        return asyncio.run(erase_command(args, settings))
    if args.thing == "keys":
        return asyncio.run(keys_command(args, settings))
    if args.thing == "org":
        return asyncio.run(org_command(args, settings))
    return asyncio.run(token_command(args, settings))


def _bench(args: argparse.Namespace, settings: object) -> int:
    import importlib

    module = importlib.import_module(f"scripts.bench.{BENCHMARKS[args.target]}")
    result: int = module.main(list(args.options), settings)
    return result


def _dev(args: argparse.Namespace, settings: object) -> int:
    from workers import dev_stack
    from workers.settings import Settings

    assert isinstance(settings, Settings)
    if args.action == "temporal-cli":
        from workers.temporal_cli import resolve_temporal_cli

        if settings.temporal_address is not None:
            print(f"using the Temporal server at {settings.temporal_address}")
            return EXIT_OK
        print(resolve_temporal_cli(settings.temporal_cli))
        return EXIT_OK
    if args.action == "down":
        stopped = dev_stack.down(settings)
        print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
        return EXIT_OK
    if args.action == "up":
        components = dev_stack.up(
            settings,
            progress=lambda line: print(line, file=sys.stderr),
            temporal_ui=args.temporal_ui,
        )
    else:
        components = dev_stack.status(settings)
    if args.json:
        print(json.dumps([c.model_dump() for c in components]))
    else:
        for component in components:
            state = "running" if component.running else "stopped"
            pid = f" pid {component.pid}" if component.pid else ""
            where = f"  {component.where}" if component.where else ""
            health = f" ({component.health})" if component.health else ""
            print(f"{component.name:<12} {state}{health}{pid}{where}")
            for problem in component.problems:
                print(f"{'':<12} - {problem}")
    return EXIT_OK


async def open_database(settings: object) -> Database:
    """The configured (or embedded) PostgreSQL, checked and migrated; one error line if not."""
    from workers.database import connect_database
    from workers.services import check_postgres, ensure_postgres
    from workers.settings import Settings

    assert isinstance(settings, Settings)
    dsn, _ = ensure_postgres(settings)
    await check_postgres(dsn, settings.connect_timeout_seconds)
    return await connect_database(settings, dsn)


async def _projections(args: argparse.Namespace, settings: object) -> int:
    from api.projections.cli import quarantine_command, rebuild_command, retry_command

    database = await open_database(settings)
    pool = database.pool
    try:
        if args.action == "quarantine":
            return await quarantine_command(pool, json_output=args.json)
        if args.action == "retry":
            return await retry_command(pool, pathway_id=args.pathway, json_output=args.json)
        return await rebuild_command(pool, json_output=args.json)
    finally:
        await pool.close()


async def _migrate(settings: object) -> int:
    from workers.database import migrate_database
    from workers.services import check_postgres, ensure_postgres
    from workers.settings import Settings

    assert isinstance(settings, Settings)
    dsn, _ = ensure_postgres(settings)
    await check_postgres(dsn, settings.connect_timeout_seconds)
    applied = await migrate_database(settings, dsn)
    print("applied: " + (", ".join(applied) if applied else "nothing (schema up to date)"))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
