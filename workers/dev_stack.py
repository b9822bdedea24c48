"""``pathways dev up | down | status``: the embedded stack running in the background.

PostgreSQL, the Temporal dev server and one worker, each with a pid file under ``<data>/run`` and a
log under ``<data>/logs``. ``up`` is idempotent: what already runs is left alone.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from workers import dev_server, embedded_postgres
from workers.services import dev_files, ensure_postgres, ensure_temporal
from workers.settings import Settings


class ComponentStatus(BaseModel, frozen=True):
    """One part of the dev stack."""

    name: str
    running: bool
    pid: int | None = None
    where: str | None = None


def _worker_pid_file(settings: Settings) -> Path:
    return settings.state_dir / "run" / "worker.pid"


def _worker_log(settings: Settings) -> Path:
    return settings.state_dir / "logs" / "worker.log"


def up(settings: Settings, progress: Callable[[str], None]) -> list[ComponentStatus]:
    """Start whatever part of the stack is not running yet."""
    ensure_postgres(settings)
    ensure_temporal(settings, progress)
    pid_file = _worker_pid_file(settings)
    if dev_server.read_pid(pid_file) is None:
        pid_file.parent.mkdir(parents=True, exist_ok=True)
        _worker_log(settings).parent.mkdir(parents=True, exist_ok=True)
        with _worker_log(settings).open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "scripts.cli", "worker"],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        pid_file.write_text(str(process.pid))
        time.sleep(0.5)
        if process.poll() is not None:
            pid_file.unlink(missing_ok=True)
            tail = _worker_log(settings).read_text(errors="replace").strip().splitlines()[-3:]
            raise RuntimeError("worker exited at start: " + " | ".join(tail))
    return status(settings)


def down(settings: Settings) -> list[str]:
    """Stop the worker, then Temporal, then PostgreSQL; return what was stopped."""
    stopped: list[str] = []
    pid = dev_server.read_pid(_worker_pid_file(settings))
    if pid is not None:
        dev_server.stop_pid(pid, timeout_seconds=30)
        stopped.append("worker")
    _worker_pid_file(settings).unlink(missing_ok=True)
    if settings.embedded_temporal and dev_server.stop(dev_files(settings)):
        stopped.append("temporal")
    if settings.embedded_postgres and embedded_postgres.stop(settings.state_dir):
        stopped.append("postgres")
    return stopped


def status(settings: Settings) -> list[ComponentStatus]:
    """What runs where."""
    components: list[ComponentStatus] = []
    if settings.embedded_postgres:
        dsn = embedded_postgres.running_dsn(settings.state_dir)
        components.append(
            ComponentStatus(
                name="postgres",
                running=dsn is not None,
                where=f"unix socket in {embedded_postgres.socket_host(dsn)}" if dsn else None,
            )
        )
    else:
        components.append(ComponentStatus(name="postgres", running=True, where="external DSN"))
    if settings.embedded_temporal:
        pid = dev_server.read_pid(dev_files(settings).pid_file)
        components.append(
            ComponentStatus(
                name="temporal",
                running=pid is not None,
                pid=pid,
                where=f"127.0.0.1:{settings.temporal_port}" if pid else None,
            )
        )
        components.append(
            ComponentStatus(
                name="temporal-ui",
                running=pid is not None,
                pid=pid,
                where=f"http://127.0.0.1:{settings.temporal_ui_port}" if pid else None,
            )
        )
    else:
        components.append(
            ComponentStatus(name="temporal", running=True, where=settings.temporal_address)
        )
    worker_pid = dev_server.read_pid(_worker_pid_file(settings))
    components.append(
        ComponentStatus(
            name="worker",
            running=worker_pid is not None,
            pid=worker_pid,
            where=f"task queue {settings.task_queue}" if worker_pid else None,
        )
    )
    return components
