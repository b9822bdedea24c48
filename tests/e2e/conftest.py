"""Helpers for driving the ``pathways`` command as a user would: a subprocess with its own env."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

RunCli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run_cli(tmp_path: Path) -> RunCli:
    """Run ``pathways ARGS`` with only the given PATHWAYS_* settings, in a fresh data dir."""

    def run(
        *args: str, env: dict[str, str] | None = None, timeout: float = 240
    ) -> subprocess.CompletedProcess[str]:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAYS_")}
        clean.setdefault("PATHWAYS_DATA_DIR", str(tmp_path / "data"))
        clean.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "scripts.cli", *args],
            cwd=ROOT,
            env=clean,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    return run
