"""The embedded Temporal dev server: ``temporal server start-dev``, its SQLite file in the data dir.

Started as a detached process with a pid file, so ``pathways dev up`` can return while it runs, and
so a second ``up`` finds it instead of starting a twin.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

# Custom search attributes, registered at start so workflows can upsert them. Pseudonymous ids only.
SEARCH_ATTRIBUTES: dict[str, str] = {
    "PathwayCoordinator": "Keyword",
    "PathwayResponsibleOrg": "KeywordList",
    "PathwayStage": "Keyword",
    "PathwayAtRisk": "Bool",
}


class DevServerError(RuntimeError):
    """The dev server did not start."""


@dataclass(frozen=True)
class DevServerFiles:
    """Where one data directory keeps the dev server's state."""

    data_dir: Path

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "run" / "temporal.pid"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "logs" / "temporal.log"

    @property
    def db_file(self) -> Path:
        return self.data_dir / "temporal.sqlite"

    @property
    def ui_file(self) -> Path:
        """Present, holding the port, while the server runs with its web UI."""
        return self.data_dir / "run" / "temporal-ui.port"


def pid_alive(pid: int) -> bool:
    """True if a process with this pid exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        fields = stat.read_text().rsplit(")", 1)[-1].split()
        return not fields or fields[0] != "Z"
    return True


def read_pid(pid_file: Path) -> int | None:
    """The pid recorded in ``pid_file`` if that process still runs."""
    try:
        pid = int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if pid_alive(pid) else None


def port_open(host: str, port: int) -> bool:
    """True if something accepts TCP connections on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    """A TCP port that was free a moment ago (for tests and side-by-side servers)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(
    cli: Path,
    files: DevServerFiles,
    *,
    port: int,
    ui_port: int | None,
    namespace: str = "default",
    persistent: bool = True,
    extra_args: tuple[str, ...] = (),
    timeout_seconds: float = 60.0,
) -> int:
    """Start the dev server detached (idempotent) and wait until its gRPC port accepts connections.

    ``ui_port`` None starts it without its web UI (``--headless``): the UI has no
    authentication, allows writes, and what it shows never reaches pathways' access log.

    Returns:
        The server's pid.

    Raises:
        DevServerError: if it exits or does not listen in time; the message includes its log's tail.
    """
    running = read_pid(files.pid_file)
    if running is not None:
        return running
    if port_open("127.0.0.1", port):
        msg = (
            f"port {port} is already in use by another process; set PATHWAYS_TEMPORAL_PORT, or "
            f"PATHWAYS_TEMPORAL_ADDRESS=127.0.0.1:{port} to use that server"
        )
        raise DevServerError(msg)
    files.pid_file.parent.mkdir(parents=True, exist_ok=True)
    files.log_file.parent.mkdir(parents=True, exist_ok=True)
    args = [
        str(cli),
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        *(["--headless"] if ui_port is None else ["--ui-port", str(ui_port)]),
        "--namespace",
        namespace,
        "--log-level",
        "warn",
    ]
    if persistent:
        args += ["--db-filename", str(files.db_file)]
    for name, kind in SEARCH_ATTRIBUTES.items():
        args += ["--search-attribute", f"{name}={kind}"]
    args += list(extra_args)
    with files.log_file.open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 - argument list built above, no shell
            args,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    files.pid_file.write_text(str(process.pid))
    if ui_port is None:
        files.ui_file.unlink(missing_ok=True)
    else:
        files.ui_file.write_text(str(ui_port))
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            files.pid_file.unlink(missing_ok=True)
            raise DevServerError(f"Temporal dev server exited: {_tail(files.log_file)}")
        if port_open("127.0.0.1", port):
            return process.pid
        time.sleep(0.2)
    stop(files)
    raise DevServerError(f"Temporal dev server did not listen on {port}: {_tail(files.log_file)}")


def stop(files: DevServerFiles, *, timeout_seconds: float = 20.0) -> bool:
    """Stop the dev server gracefully (SIGTERM, then SIGKILL); True if one was running."""
    pid = read_pid(files.pid_file)
    files.ui_file.unlink(missing_ok=True)
    if pid is None:
        files.pid_file.unlink(missing_ok=True)
        return False
    stop_pid(pid, timeout_seconds=timeout_seconds)
    files.pid_file.unlink(missing_ok=True)
    return True


def stop_pid(pid: int, *, timeout_seconds: float = 20.0) -> None:
    """SIGTERM a process, wait, then SIGKILL it if it is still there."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            _reap(pid)
            return
        _reap(pid)
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    _reap(pid)


def _reap(pid: int) -> None:
    # Only our own children can be reaped; for others waitpid raises and there is nothing to do.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _tail(path: Path, lines: int = 5) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"
