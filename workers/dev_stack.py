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
    health: str | None = None
    """For the API: what its ``/ready`` says (``ready``, ``degraded``, ``unavailable``)."""
    problems: list[str] = []
    """Why it is not ``ready``, one sentence each."""


# The CLI command of each background process pathways itself runs (besides the servers).
PROCESSES = {"worker": "worker", "api": "api"}


def _pid_file(settings: Settings, name: str) -> Path:
    return settings.state_dir / "run" / f"{name}.pid"


def _log_file(settings: Settings, name: str) -> Path:
    return settings.state_dir / "logs" / f"{name}.log"


def _worker_pid_file(settings: Settings) -> Path:
    return _pid_file(settings, "worker")


def _start(settings: Settings, name: str) -> None:
    pid_file = _pid_file(settings, name)
    if dev_server.read_pid(pid_file) is not None:
        return
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    _log_file(settings, name).parent.mkdir(parents=True, exist_ok=True)
    with _log_file(settings, name).open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and a fixed command name
            [sys.executable, "-m", "scripts.cli", PROCESSES[name]],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    pid_file.write_text(str(process.pid))
    time.sleep(0.5)
    if process.poll() is not None:
        pid_file.unlink(missing_ok=True)
        tail = _log_file(settings, name).read_text(errors="replace").strip().splitlines()[-3:]
        raise dev_server.DevServerError(f"{name} exited at start: " + " | ".join(tail))


def up(
    settings: Settings, progress: Callable[[str], None], *, temporal_ui: bool = False
) -> list[ComponentStatus]:
    """Start whatever part of the stack is not running yet (the API after the worker).

    Temporal's web UI starts only with ``temporal_ui``: an operator's tool with no
    authentication that can change workflows and whose reads never reach the access log.
    """
    ensure_postgres(settings)
    ensure_temporal(settings, progress, ui=temporal_ui)
    for name in PROCESSES:
        _start(settings, name)
    _wait_for_api(settings, timeout_seconds=60)
    return status(settings)


def _wait_for_api(settings: Settings, *, timeout_seconds: float) -> None:
    """Return once the API answers /health, so ``dev up`` hands back a stack that serves."""
    import urllib.error
    import urllib.request

    url = f"http://{settings.api_host}:{settings.api_port}/health"
    deadline = time.monotonic() + timeout_seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, OSError):
            if dev_server.read_pid(_pid_file(settings, "api")) is None:
                tail = _log_file(settings, "api").read_text(errors="replace").splitlines()[-3:]
                message = "api exited at start: " + " | ".join(tail)
                raise dev_server.DevServerError(message) from None
            if time.monotonic() > deadline:
                message = f"api did not answer {url} within {timeout_seconds:.0f} s"
                raise dev_server.DevServerError(message) from None
            time.sleep(0.2)


def down(settings: Settings) -> list[str]:
    """Stop the API and the worker, then Temporal, then PostgreSQL; return what was stopped."""
    stopped: list[str] = []
    for name in reversed(PROCESSES):
        pid = dev_server.read_pid(_pid_file(settings, name))
        if pid is not None:
            dev_server.stop_pid(pid, timeout_seconds=30)
            stopped.append(name)
        _pid_file(settings, name).unlink(missing_ok=True)
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
        files = dev_files(settings)
        pid = dev_server.read_pid(files.pid_file)
        components.append(
            ComponentStatus(
                name="temporal",
                running=pid is not None,
                pid=pid,
                where=f"127.0.0.1:{settings.temporal_port}" if pid else None,
            )
        )
        ui = pid is not None and files.ui_file.exists()
        components.append(
            ComponentStatus(
                name="temporal-ui",
                running=ui,
                pid=pid if ui else None,
                where=f"http://127.0.0.1:{settings.temporal_ui_port}" if ui else None,
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
    api_pid = dev_server.read_pid(_pid_file(settings, "api"))
    health, problems = (
        _readiness(f"http://{settings.api_host}:{settings.api_port}/ready")
        if api_pid
        else (None, [])
    )
    components.append(
        ComponentStatus(
            name="api",
            running=api_pid is not None,
            pid=api_pid,
            where=f"http://{settings.api_host}:{settings.api_port}/docs" if api_pid else None,
            health=health,
            problems=problems,
        )
    )
    return components


def _readiness(url: str) -> tuple[str, list[str]]:
    """What the running API's ``/ready`` says: a running process is not necessarily a healthy one
    (a dependency down, projections stuck on an event they set aside)."""
    import json
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own http URL
            body = json.loads(response.read())
            return str(body.get("status", "unknown")), [str(p) for p in body.get("problems", [])]
    except urllib.error.HTTPError as exc:
        try:
            message = str(json.loads(exc.read())["error"]["message"])
        except (ValueError, KeyError, TypeError):
            message = f"HTTP {exc.code}"
        return "unavailable", [message]
    except (OSError, ValueError) as exc:
        return "unavailable", [f"/ready did not answer: {type(exc).__name__}"]
