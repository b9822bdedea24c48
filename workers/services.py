"""Resolving the services a process uses: configured ones, or the embedded defaults.

Every process goes through :func:`open_services`, so the demo, the worker and the tests all reach
PostgreSQL and Temporal the same way.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import asyncpg

from workers import dev_server, embedded_postgres
from workers.settings import Settings
from workers.temporal_cli import resolve_temporal_cli
from workers.temporal_client import ServiceUnavailableError


@dataclass(frozen=True)
class Services:
    """Where PostgreSQL and Temporal are for this process."""

    database_url: str
    temporal_address: str
    started_postgres: bool
    started_temporal: bool


def dev_files(settings: Settings) -> dev_server.DevServerFiles:
    """The dev server's files in this settings' data directory."""
    return dev_server.DevServerFiles(settings.state_dir)


def ensure_postgres(settings: Settings) -> tuple[str, bool]:
    """The DSN to use, starting the embedded server when no DSN is configured."""
    if settings.database_url is not None:
        return settings.database_url.get_secret_value(), False
    running = embedded_postgres.running_dsn(settings.state_dir)
    if running is not None:
        return running, False
    return embedded_postgres.start(settings.state_dir), True


def ensure_temporal(
    settings: Settings, progress: Callable[[str], None], *, ui: bool = False
) -> tuple[str, bool]:
    """The Temporal address to use, starting the embedded dev server when none is configured.

    The dev server's web UI starts only when ``ui`` is asked for (``pathways dev up
    --temporal-ui``): it has no authentication, allows writes, and bypasses the access log.
    """
    if settings.temporal_address is not None:
        return settings.temporal_address, False
    files = dev_files(settings)
    address = f"127.0.0.1:{settings.temporal_port}"
    if dev_server.read_pid(files.pid_file) is not None:
        if ui and not files.ui_file.exists():
            progress(
                "the Temporal dev server already runs without its web UI;"
                " run pathways dev down, then pathways dev up --temporal-ui"
            )
        return address, False
    cli = resolve_temporal_cli(settings.temporal_cli, progress=progress)
    dev_server.start(
        cli,
        files,
        port=settings.temporal_port,
        ui_port=settings.temporal_ui_port if ui else None,
        namespace=settings.temporal_namespace,
    )
    return address, True


async def check_postgres(dsn: str, timeout_seconds: float) -> None:
    """Fail with one line if PostgreSQL cannot be reached."""
    try:
        connection = await asyncpg.connect(dsn, timeout=timeout_seconds)
    except (OSError, TimeoutError, asyncpg.PostgresError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ServiceUnavailableError(f"cannot reach PostgreSQL: {reason}") from None
    await connection.close()


@contextlib.asynccontextmanager
async def open_services(
    settings: Settings, progress: Callable[[str], None]
) -> AsyncIterator[Services]:
    """Resolve both services; embedded servers started here are stopped on exit."""
    database_url, started_pg = ensure_postgres(settings)
    started_temporal = False
    try:
        await check_postgres(database_url, settings.connect_timeout_seconds)
        address, started_temporal = ensure_temporal(settings, progress)
        yield Services(database_url, address, started_pg, started_temporal)
    finally:
        if started_temporal:
            dev_server.stop(dev_files(settings))
        if started_pg:
            embedded_postgres.stop(settings.state_dir)
