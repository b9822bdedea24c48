"""``pathways bench workflows --quick --json`` runs end to end and reports well-formed figures.

No timing thresholds: the figures depend on the machine. Only their shape and sign are checked.
"""

from __future__ import annotations

from tests.e2e.conftest import RunBench, assert_percentiles_ordered

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


def test_the_quick_bench_prints_positive_figures_as_json(run_bench: RunBench) -> None:
    report = run_bench("workflows", "--quick", "--pathways", "5", "--open", "20", timeout=600)
    assert report["pathways"] == 5
    assert report["updates_per_pathway"] == 4
    for name in ("baseline", "pathway_workflow"):
        phase = report[name]
        assert set(phase) == PHASE_FIELDS
        assert phase["updates"] == 5 * report["updates_per_pathway"]
        assert phase["activities"] == 5 * report["activities_per_pathway"]
        assert phase["seconds"] > 0
        assert phase["updates_per_second"] > 0
        assert_percentiles_ordered(phase)
    assert report["ratio"] > 0
    memory = report["memory"]
    assert memory["open_pathways"] == 20
    assert 0 < memory["rss_mb"] <= memory["peak_rss_mb"]
