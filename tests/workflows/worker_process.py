"""``pathways worker`` as a separate OS process that a test can SIGKILL and start again.

Configured only through ``PATHWAYS_*`` variables, as an operator would: the test's PostgreSQL DSN,
Temporal address and a task queue of its own. Each start appends to one log file, so a failure
shows every incarnation's output.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import PAYLOAD_KEY_ENV

ROOT = Path(__file__).resolve().parents[2]


class WorkerProcess:
    """One worker at a time, started, killed and restarted by the test."""

    def __init__(
        self, *, database_url: str, temporal_address: str, task_queue: str, data_dir: Path
    ) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAYS_")}
        env |= {
            "PATHWAYS_DATABASE_URL": database_url,
            "PATHWAYS_TEMPORAL_ADDRESS": temporal_address,
            "PATHWAYS_TASK_QUEUE": task_queue,
            "PATHWAYS_DATA_DIR": str(data_dir),
            "PATHWAYS_LOG_LEVEL": "WARNING",
            **PAYLOAD_KEY_ENV,
        }
        self._env = env
        self.log = data_dir / "worker.log"
        data_dir.mkdir(parents=True, exist_ok=True)
        self._process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.kills = 0

    def start(self) -> None:
        """Start a worker (the previous one must be gone)."""
        assert self._process is None or self._process.poll() is not None
        with self.log.open("ab") as out:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "scripts.cli", "worker"],
                cwd=ROOT,
                env=self._env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, in-flight tasks and activities are simply lost."""
        assert self._process is not None
        self._process.send_signal(signal.SIGKILL)
        self._process.wait(timeout=30)
        self.kills += 1

    def stop(self) -> int | None:
        """SIGTERM and wait; returns the exit code (None if it was not running)."""
        if self._process is None or self._process.poll() is not None:
            return None
        self._process.send_signal(signal.SIGTERM)
        try:
            return self._process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self._process.kill()
            return self._process.wait(timeout=30)

    def alive(self) -> bool:
        """True while the current worker process runs."""
        return self._process is not None and self._process.poll() is None

    def tail(self, lines: int = 40) -> str:
        """The end of the log, for assertion messages."""
        if not self.log.exists():
            return "(no log)"
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
