"""``pathways bench workflows --quick --json`` runs end to end and reports well-formed figures.

No timing thresholds: the figures depend on the machine. Only their shape and sign are checked.
"""

from __future__ import annotations

import json

from tests.e2e.conftest import RunCli

PHASE_FIELDS = {
    "name",
    "workflows",
    "updates",
    "activities",
    "seconds",
    "updates_per_second",
    "p50_ms",
    "p95_ms",
    "p99_ms",
}


def test_the_quick_bench_prints_positive_figures_as_json(
    run_cli: RunCli, database_url: str, temporal_address: str
) -> None:
    result = run_cli(
        "bench",
        "workflows",
        "--quick",
        "--pathways",
        "5",
        "--open",
        "20",
        "--json",
        env={"PATHWAYS_DATABASE_URL": database_url, "PATHWAYS_TEMPORAL_ADDRESS": temporal_address},
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["pathways"] == 5
    assert report["updates_per_pathway"] == 4
    for name in ("baseline", "pathway_workflow"):
        phase = report[name]
        assert set(phase) == PHASE_FIELDS
        assert phase["updates"] == 5 * report["updates_per_pathway"]
        assert phase["activities"] == 5 * report["activities_per_pathway"]
        assert phase["seconds"] > 0
        assert phase["updates_per_second"] > 0
        assert 0 < phase["p50_ms"] <= phase["p95_ms"] <= phase["p99_ms"]
    assert report["ratio"] > 0
    memory = report["memory"]
    assert memory["open_pathways"] == 20
    assert 0 < memory["rss_mb"] <= memory["peak_rss_mb"]
