"""Session-wide real services for the test suite.

One embedded PostgreSQL (pgserver) per test session, with a fresh database per test so tests never
see each other's rows; one real Temporal dev server per session (started only when a test asks for
it), with a unique task queue per test. Nothing here is a mock.
"""

from __future__ import annotations

import faulthandler
import os
import sys
import tempfile
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pgserver
import pytest
from temporalio.client import Client

from tests.keys import TEST_KEY_ENV
from workers import dev_server
from workers.settings import Settings
from workers.temporal_cli import resolve_temporal_cli
from workers.temporal_client import connect_temporal

TEST_PAYLOAD_KEY = "cGF0aHdheXMtdGVzdC1wYXlsb2FkLWtleS0zMmJ5dGU="
"""The suite's Temporal payload key (ADR 0006), base64 of 32 bytes. Every process of a test
shares it: the test's own clients, and the worker and CLI processes it starts, whose environment
is otherwise built from scratch (they take it from ``PAYLOAD_KEY_ENV``)."""
os.environ["PATHWAYS_TEMPORAL_PAYLOAD_KEY"] = TEST_PAYLOAD_KEY
os.environ.update(TEST_KEY_ENV)
PAYLOAD_KEY_ENV = {
    "PATHWAYS_TEMPORAL_PAYLOAD_KEY": TEST_PAYLOAD_KEY,
    # The key-encryption, chain and seal keys (tests.keys) travel with the payload key, so a
    # worker or CLI process a test starts reads and verifies what the test's own stores wrote.
    **TEST_KEY_ENV,
}


def dsn_for_database(admin_dsn: str, database: str) -> str:
    """Return ``admin_dsn`` with its database name replaced by ``database``."""
    parts = urlsplit(admin_dsn)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


@pytest.fixture(scope="session")
def pg_admin_dsn() -> Iterator[str]:
    """A real PostgreSQL server for the whole session, deleted afterwards."""
    data_dir = Path(tempfile.mkdtemp(prefix="pathways-test-pg-"))
    server = pgserver.get_server(data_dir / "pgdata", cleanup_mode="delete")
    yield str(server.get_uri())
    server.cleanup()


@pytest.fixture
async def database_url(pg_admin_dsn: str) -> AsyncIterator[str]:
    """A DSN for a new, empty database of its own for one test."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(pg_admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield dsn_for_database(pg_admin_dsn, name)
    admin = await asyncpg.connect(pg_admin_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def app_database_url(database_url: str) -> AsyncIterator[str]:
    """The test database migrated by its owner, and the DSN of a login role of its own that is
    a member of ``pathways_app``: the owner/application split of a deployment, in one place.

    pgserver trusts local connections, so the login needs no password. Roles are cluster-wide,
    so each test's login has a unique name and is dropped afterwards.
    """
    from eventstore import create_pool
    from workers.database import prepare_database
    from workers.database_logins import APPLICATION_ROLE, with_login

    owner = await create_pool(database_url, min_size=1, max_size=1)
    try:
        await prepare_database(owner)
        login = f"app_{uuid.uuid4().hex[:12]}"
        await owner.execute(f'CREATE ROLE "{login}" LOGIN IN ROLE {APPLICATION_ROLE}')
    finally:
        await owner.close()
    yield with_login(database_url, login, "unused")
    admin = await asyncpg.connect(database_url)
    try:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", login
        )
        await admin.execute(f'DROP ROLE IF EXISTS "{login}"')
    finally:
        await admin.close()


@pytest.fixture
def database_env(database_url: str, app_database_url: str) -> dict[str, str]:
    """The settings a process of this test's deployment gets: the owner's DSN for migrations
    and the application's login for everything else."""
    return {"PATHWAYS_DATABASE_OWNER_URL": database_url, "PATHWAYS_DATABASE_URL": app_database_url}


@pytest.fixture(scope="session")
def temporal_cli() -> Path:
    """The Temporal CLI binary, resolved as the product resolves it."""
    return resolve_temporal_cli(Settings().temporal_cli)


@pytest.fixture(scope="session")
def temporal_address(temporal_cli: Path) -> Iterator[str]:
    """A real Temporal dev server (in-memory) for the whole session."""
    files = dev_server.DevServerFiles(Path(tempfile.mkdtemp(prefix="pathways-test-temporal-")))
    port = dev_server.free_port()
    dev_server.start(
        temporal_cli, files, port=port, ui_port=dev_server.free_port(), persistent=False
    )
    yield f"127.0.0.1:{port}"
    dev_server.stop(files)


@pytest.fixture(scope="session")
async def temporal_client(temporal_address: str) -> Client:
    """A client with the product's converter and tracing interceptor."""
    return await connect_temporal(Settings(), temporal_address)


@pytest.fixture
def task_queue() -> str:
    """A task queue of this test's own, so workers of other tests never take its tasks."""
    return f"test-{uuid.uuid4().hex[:12]}"


EXIT_GRACE_SECONDS = 120


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Make sure the process ends once the results are in.

    A thread or child left behind by a failed test could otherwise keep the interpreter from
    exiting, and CI would wait for it until its own time limit. If the process still runs
    ``EXIT_GRACE_SECONDS`` after the session, every thread's stack is printed and it exits with
    the session's own status.
    """

    def _exit_if_stuck() -> None:
        threading.Event().wait(EXIT_GRACE_SECONDS)
        print(f"\ntest process still running {EXIT_GRACE_SECONDS}s after the session; stacks:")
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        os._exit(int(exitstatus))

    threading.Thread(target=_exit_if_stuck, name="exit-watchdog", daemon=True).start()
