"""Every database session of a running worker, API and CLI command is the application's login.

Checked the way an operator would: from a superuser connection, in ``pg_stat_activity``. Two
deployments: the embedded default (pgserver; the processes log in as ``pathways_web``), and an
external one with ``PATHWAYS_DATABASE_OWNER_URL`` for migrations and ``PATHWAYS_DATABASE_URL``
naming a login that is a member of ``pathways_app``.
"""

from __future__ import annotations

import asyncio
import os
import stat
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg

from tests.conftest import PAYLOAD_KEY_ENV
from tests.e2e.conftest import ROOT, RunCli
from workers import embedded_postgres
from workers.database_logins import EMBEDDED_LOGIN, PASSWORD_FILE
from workers.dev_server import free_port

# asyncpg's pools in the worker and the API open ten connections each (create_pool's default).
POOLED_SESSIONS = 20


async def _client_sessions(admin: asyncpg.Connection) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await admin.fetch(
        """
        SELECT pid, usename, application_name FROM pg_stat_activity
        WHERE datname = current_database() AND backend_type = 'client backend'
          AND pid <> pg_backend_pid()
        """
    )
    return rows


async def _wait_for_sessions(admin: asyncpg.Connection, count: int) -> list[asyncpg.Record]:
    for _ in range(300):
        sessions = await _client_sessions(admin)
        if len(sessions) >= count:
            return sessions
        await asyncio.sleep(0.2)
    raise AssertionError(f"fewer than {count} sessions: {await _client_sessions(admin)}")


async def _cli_session_user(admin: asyncpg.Connection, env: dict[str, str]) -> str:
    """The login of a CLI command's session, caught while it waits on a lock the test holds."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAYS_")}
    clean |= PAYLOAD_KEY_ENV | env
    async with admin.transaction():
        await admin.execute("LOCK TABLE api.tokens IN ACCESS EXCLUSIVE MODE")
        command = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "scripts.cli",
            "admin",
            "token",
            "list",
            "--json",
            cwd=ROOT,
            env=clean,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            user = None
            for _ in range(600):
                # pg_stat_activity is a snapshot per transaction: take a new one each time.
                await admin.execute("SELECT pg_stat_clear_snapshot()")
                user = await admin.fetchval(
                    """
                    SELECT usename FROM pg_stat_activity
                    WHERE datname = current_database() AND wait_event_type = 'Lock'
                      AND query LIKE '%api.tokens%'
                    """
                )
                if user is not None or command.returncode is not None:
                    break
                await asyncio.sleep(0.1)
        except BaseException:
            command.kill()
            raise
    _, stderr = await asyncio.wait_for(command.communicate(), timeout=120)
    assert command.returncode == 0, stderr.decode()[-2000:]
    assert user is not None, "the CLI's query was never seen waiting"
    return str(user)


def _stack_env(tmp_path: Path) -> dict[str, str]:
    return {
        "PATHWAYS_TEMPORAL_PORT": str(free_port()),
        "PATHWAYS_TEMPORAL_UI_PORT": str(free_port()),
        "PATHWAYS_API_PORT": str(free_port()),
        "PATHWAYS_DATA_DIR": str(tmp_path / "data"),
        "PATHWAYS_SEAL_INTERVAL_SECONDS": "0",
    }


async def _check_stack(run_cli: RunCli, env: dict[str, str], admin_dsn: str, login: str) -> None:
    """Start the worker and the API (``dev up``), then check every session and a CLI's."""
    try:
        up = run_cli("dev", "up", "--json", env=env)
        assert up.returncode == 0, up.stderr[-2000:]
        admin = await asyncpg.connect(admin_dsn or embedded_postgres.running_dsn(_data(env)))
        try:
            sessions = await _wait_for_sessions(admin, POOLED_SESSIONS)
            assert {row["usename"] for row in sessions} == {login}, sessions
            assert await _cli_session_user(admin, env) == login
            # The worker and the API hold no owner session once their migrations are done.
            assert {row["usename"] for row in await _client_sessions(admin)} == {login}
        finally:
            await admin.close()
    finally:
        down = run_cli("dev", "down", env=env)
        assert down.returncode == 0, down.stderr


def _data(env: dict[str, str]) -> Path:
    return Path(env["PATHWAYS_DATA_DIR"])


async def test_embedded_default_sessions_run_as_the_embedded_login(
    run_cli: RunCli, tmp_path: Path
) -> None:
    env = _stack_env(tmp_path)

    await _check_stack(run_cli, env, "", EMBEDDED_LOGIN)

    mode = stat.S_IMODE((_data(env) / PASSWORD_FILE).stat().st_mode)
    assert mode == 0o600


async def test_external_sessions_run_as_the_login_of_pathways_database_url(
    run_cli: RunCli,
    database_url: str,
    app_database_url: str,
    temporal_address: str,
    tmp_path: Path,
) -> None:
    env = _stack_env(tmp_path) | {
        "PATHWAYS_DATABASE_OWNER_URL": database_url,
        "PATHWAYS_DATABASE_URL": app_database_url,
        "PATHWAYS_TEMPORAL_ADDRESS": temporal_address,
        "PATHWAYS_TASK_QUEUE": f"test-{uuid.uuid4().hex[:12]}",
    }

    await _check_stack(run_cli, env, database_url, str(urlsplit(app_database_url).username))
