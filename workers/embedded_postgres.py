"""The embedded PostgreSQL: a real server from the ``pgserver`` wheel, kept in the data directory.

It listens on a Unix socket only (no TCP port to collide with), so several data directories can run
side by side. pgserver runs the server as an unprivileged ``pgserver`` user when started as root.
"""

from __future__ import annotations

import contextlib
import os
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


def stop(data_dir: Path) -> bool:
    """Stop the embedded server; True if one was running."""
    from pgserver._commands import pg_ctl

    if running_dsn(data_dir) is None:
        return False
    user = "pgserver" if os.name == "posix" and os.geteuid() == 0 else None
    with contextlib.suppress(Exception):
        pg_ctl(["-w", "stop", "-m", "fast"], pgdata=_pgdata(data_dir), user=user)
    return running_dsn(data_dir) is None


def socket_host(dsn: str) -> str | None:
    """The socket directory of a pgserver DSN, for display."""
    query = urlsplit(dsn).query
    for part in query.split("&"):
        key, _, value = part.partition("=")
        if key == "host":
            return value
    return None
