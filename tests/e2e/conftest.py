"""Helpers for driving the ``pathways`` command as a user would: a subprocess with its own env."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PAYLOAD_KEY_ENV

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
        # The suite's payload key, so the test's own clients read what these processes write;
        # ``env={"PATHWAYS_TEMPORAL_PAYLOAD_KEY": ""}`` leaves them the data directory's key.
        clean |= PAYLOAD_KEY_ENV
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


RunBench = Callable[..., dict[str, Any]]


@pytest.fixture
def run_bench(run_cli: RunCli, database_url: str, temporal_address: str) -> RunBench:
    """Run ``pathways bench TARGET OPTIONS --json`` on the test's services; its parsed report."""

    def run(target: str, *options: str, timeout: float) -> dict[str, Any]:
        env = {"PATHWAYS_DATABASE_URL": database_url, "PATHWAYS_TEMPORAL_ADDRESS": temporal_address}
        result = run_cli("bench", target, *options, "--json", env=env, timeout=timeout)
        assert result.returncode == 0, result.stderr[-2000:]
        report: dict[str, Any] = json.loads(result.stdout)
        return report

    return run


def assert_percentiles_ordered(figures: dict[str, Any]) -> None:
    """Latency percentiles of a bench phase are positive and do not decrease."""
    assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"]
    if "max_ms" in figures:
        assert figures["p99_ms"] <= figures["max_ms"]
