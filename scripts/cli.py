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
    import asyncpg

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

# ``pathways bench TARGET [options]`` runs ``scripts.bench.<module>.main(options, settings)``.
BENCHMARKS = {"eventstore": "eventstore", "workflows": "workflows", "api": "api"}


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
    audit = commands.add_parser("audit", help="auditor tools")
    audit_actions = audit.add_subparsers(dest="action", required=True, metavar="ACTION")
    verify = audit_actions.add_parser(
        "verify", help="check every hash chain and seal; exit 1 naming the first broken place"
    )
    verify.add_argument("--json", action="store_true", help="print the full report as JSON")
    audit_actions.add_parser("seal", help="seal the global log up to now")
    db = commands.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["migrate"])
    bench = commands.add_parser(
        "bench", help="benchmarks on the embedded stack (not tests; figures go to the README)"
    )
    bench.add_argument("target", choices=sorted(BENCHMARKS))
    bench.add_argument("options", nargs=argparse.REMAINDER, help="options of that benchmark")
    return parser


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
        from workers.dev_server import DevServerError
        from workers.temporal_cli import TemporalCliNotFoundError
        from workers.temporal_client import ServiceUnavailableError

        if isinstance(
            exc,
            ServiceUnavailableError | TemporalCliNotFoundError | DevServerError | MigrationError,
        ):
            print(f"pathways: error: {exc}", file=sys.stderr)
            return EXIT_FAILED
        raise


def _dispatch(args: argparse.Namespace, settings: object) -> int:
    from workers.settings import Settings

    assert isinstance(settings, Settings)
    if args.command == "demo":
        from scripts.demo import run_demo

        asyncio.run(run_demo(settings))
        return EXIT_OK
    if args.command == "worker":
        from workers.worker import run_worker

        asyncio.run(run_worker(settings))
        return EXIT_OK
    if args.command == "dev":
        return _dev(args, settings)
    if args.command == "db":
        return asyncio.run(_migrate(settings))
    if args.command == "audit":
        return asyncio.run(_audit(args, settings))
    if args.command == "bench":
        return _bench(args, settings)
    return EXIT_USAGE


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
        components = dev_stack.up(settings, progress=lambda line: print(line, file=sys.stderr))
    else:
        components = dev_stack.status(settings)
    if args.json:
        print(json.dumps([c.model_dump() for c in components]))
    else:
        for component in components:
            state = "running" if component.running else "stopped"
            pid = f" pid {component.pid}" if component.pid else ""
            where = f"  {component.where}" if component.where else ""
            print(f"{component.name:<12} {state}{pid}{where}")
    return EXIT_OK


async def _open_pool(settings: object) -> asyncpg.Pool:
    """The configured (or embedded) PostgreSQL, checked, as a pool; one error line if not."""
    from eventstore import create_pool
    from workers.services import check_postgres, ensure_postgres
    from workers.settings import Settings

    assert isinstance(settings, Settings)
    dsn, _ = ensure_postgres(settings)
    await check_postgres(dsn, settings.connect_timeout_seconds)
    return await create_pool(dsn)


async def _audit(args: argparse.Namespace, settings: object) -> int:
    from eventstore import seal, verify

    pool = await _open_pool(settings)
    try:
        if args.action == "seal":
            made = await seal(pool)
            print(f"sealed: {len(made)} new seal(s)" if made else "nothing new to seal")
            return EXIT_OK
        report = await verify(pool)
    finally:
        await pool.close()
    if args.json:
        print(report.model_dump_json())
    elif report.ok:
        print(
            f"intact: {report.events_checked} events in {report.streams_checked} streams, "
            f"{report.seals_checked} seals ({report.unsealed_events} events not yet sealed)"
        )
    else:
        print(f"BROKEN: {report.first_failure}", file=sys.stderr)
        for failure in report.failures[1:]:
            print(f"  also: {failure}", file=sys.stderr)
    return EXIT_OK if report.ok else EXIT_FAILED


async def _migrate(settings: object) -> int:
    from workers.worker import prepare_database

    pool = await _open_pool(settings)
    try:
        applied = await prepare_database(pool)
    finally:
        await pool.close()
    print("applied: " + (", ".join(applied) if applied else "nothing (schema up to date)"))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
