"""``pathways dev up | status | down``, twice in a row, on a data directory of its own: first
without Temporal's web UI (the default: it has no authentication and bypasses the access log),
then with ``--temporal-ui``."""

from __future__ import annotations

import json
import time

from tests.e2e.conftest import RunCli
from workers.dev_server import free_port, port_open


def _status(run_cli: RunCli, env: dict[str, str]) -> dict[str, dict[str, object]]:
    result = run_cli("dev", "status", "--json", env=env)
    assert result.returncode == 0, result.stderr
    return {c["name"]: c for c in json.loads(result.stdout)}


def _listening(port: int, *, within_seconds: float) -> bool:
    deadline = time.monotonic() + within_seconds
    while not port_open("127.0.0.1", port):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)
    return True


def test_up_status_down_twice_starts_no_duplicates(run_cli: RunCli) -> None:
    ui_port = free_port()
    env = {
        "PATHWAYS_TEMPORAL_PORT": str(free_port()),
        "PATHWAYS_TEMPORAL_UI_PORT": str(ui_port),
        "PATHWAYS_API_PORT": str(free_port()),
    }
    try:
        for ui in ([], ["--temporal-ui"]):
            up = run_cli("dev", "up", "--json", *ui, env=env)
            assert up.returncode == 0, up.stderr
            first = _status(run_cli, env)
            ui_status = first.pop("temporal-ui")
            assert all(c["running"] for c in first.values()), first
            assert ui_status["running"] is bool(ui), ui_status
            assert _listening(ui_port, within_seconds=10 if ui else 0) is bool(ui)
            if ui:
                assert str(ui_status["where"]).startswith("http://127.0.0.1:")
            # Running is not enough: status reports what the API's /ready says.
            health = first["api"]["health"]
            deadline = time.monotonic() + 90
            while health != "ready" and time.monotonic() < deadline:
                time.sleep(1)
                health = _status(run_cli, env)["api"]["health"]
            assert health == "ready"

            again = run_cli("dev", "up", "--json", *ui, env=env)
            assert again.returncode == 0, again.stderr
            second = _status(run_cli, env)
            assert second["temporal"]["pid"] == first["temporal"]["pid"]
            assert second["worker"]["pid"] == first["worker"]["pid"]
            assert second["api"]["pid"] == first["api"]["pid"]

            down = run_cli("dev", "down", env=env)
            assert down.returncode == 0, down.stderr
            assert "worker" in down.stdout
            assert "temporal" in down.stdout
            assert "postgres" in down.stdout
            stopped = _status(run_cli, env)
            assert not any(c["running"] for c in stopped.values()), stopped
    finally:
        run_cli("dev", "down", env=env)
