"""Bad configuration gives one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

from tests.e2e.conftest import RunCli


def test_a_malformed_dsn_is_one_line_and_exit_2(run_cli: RunCli) -> None:
    result = run_cli("demo", env={"PATHWAYS_DATABASE_URL": "not a dsn"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "pathways: invalid setting PATHWAYS_DATABASE_URL: must be a postgresql:// DSN"
    ]


def test_an_unreachable_temporal_is_one_line_and_exit_1(run_cli: RunCli, database_url: str) -> None:
    result = run_cli(
        "demo",
        env={
            "PATHWAYS_DATABASE_URL": database_url,
            "PATHWAYS_TEMPORAL_ADDRESS": "127.0.0.1:1",
            "PATHWAYS_CONNECT_TIMEOUT_SECONDS": "3",
        },
    )
    assert result.returncode == 1, result.stderr
    lines = [line for line in result.stderr.strip().splitlines() if line.startswith("pathways:")]
    assert len(lines) == 1
    assert lines[0].startswith("pathways: error: cannot reach Temporal at 127.0.0.1:1")
    assert "Traceback" not in result.stderr


def test_an_unreachable_postgres_is_one_line_and_exit_1(run_cli: RunCli) -> None:
    result = run_cli(
        "demo",
        env={
            "PATHWAYS_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
            "PATHWAYS_TEMPORAL_ADDRESS": "127.0.0.1:1",
            "PATHWAYS_CONNECT_TIMEOUT_SECONDS": "3",
        },
    )
    assert result.returncode == 1
    assert "pathways: error: cannot reach PostgreSQL" in result.stderr
    assert "Traceback" not in result.stderr
