"""The embedded PostgreSQL: a real server from the ``pgserver`` wheel, kept in the data directory.

It listens on a Unix socket only (no TCP port to collide with), so several data directories can run
side by side. pgserver runs the server as an unprivileged ``pgserver`` user when started as root.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DATABASE = "pathways"


def _pgdata(data_dir: Path) -> Path:
    return data_dir / "pgdata"


def _with_database(uri: str, database: str) -> str:
    parts = urlsplit(uri)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def running_dsn(data_dir: Path) -> str | None:
    """The DSN of the embedded server if it is running, else None."""
    from pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(_pgdata(data_dir))
    if info is None or not info.is_running() or info.status != "ready":
        return None
    return _with_database(str(info.get_uri()), DATABASE)


def start(data_dir: Path) -> str:
    """Start the embedded server if needed (idempotent) and return the pathways database's DSN."""
    import pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: the server outlives this process; `pathways dev down` stops it.
    server = pgserver.get_server(_pgdata(data_dir), cleanup_mode=None)
    # DATABASE is a module constant, not input: the f-string cannot carry injected SQL.
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}';")  # noqa: S608
    if "1 row" not in exists:
        server.psql(f'CREATE DATABASE "{DATABASE}";')
    return _with_database(str(server.get_uri()), DATABASE)


def stop(data_dir: Path, *, timeout_seconds: float = 60.0) -> bool:
    """Stop the embedded server with a fast shutdown; True if one was running and is now stopped.

    Why a signal rather than ``pg_ctl stop``: pg_ctl must run as the server's ``pgserver`` user
    when we are root, and then fails with "Permission denied" whenever the caller's working
    directory or temporary files are not readable by that user. SIGINT to the postmaster is what
    ``pg_ctl stop -m fast`` sends; as its parent user (or root) we may always send it.
    """
    import signal

    from pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(_pgdata(data_dir))
    if info is None or not info.is_running() or info.process is None:
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(info.pid, signal.SIGINT)
    # The postmaster removes postmaster.pid as the last step of its shutdown; waiting for the file
    # also works when the process lingers as a zombie nobody reaps (a container without init).
    deadline = time.monotonic() + timeout_seconds
    while (_pgdata(data_dir) / "postmaster.pid").exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def socket_host(dsn: str) -> str | None:
    """The socket directory of a pgserver DSN, for display."""
    query = urlsplit(dsn).query
    for part in query.split("&"):
        key, _, value = part.partition("=")
        if key == "host":
            return value
    return None
