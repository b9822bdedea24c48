"""``pathways bench api --quick --json`` runs end to end and reports well-formed figures.

No timing thresholds: the figures depend on the machine. Only their shape and sign are checked.
"""

from __future__ import annotations

from tests.e2e.conftest import RunBench, assert_percentiles_ordered

LATENCY_FIELDS = {
    "name",
    "endpoint",
    "requests",
    "items_per_response",
    "mean_ms",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "max_ms",
}


def test_the_quick_api_bench_prints_positive_figures_as_json(run_bench: RunBench) -> None:
    options = ("--quick", "--pathways", "500", "--requests", "30", "--handovers", "3")
    report = run_bench("api", *options, timeout=300)
    assert report["pathways"] == 500
    assert report["target_p99_ms"] == 50
    parts = report["parts"]
    assert set(parts) == {"caseload_query", "inbox_query", "access_log_append"}
    figures = [
        report["reads"]["caseload"],
        report["reads"]["inbox"],
        report["handover_accept"],
        *parts.values(),
    ]
    for phase in figures:
        assert set(phase) == LATENCY_FIELDS
        assert phase["items_per_response"] > 0
        assert phase["mean_ms"] > 0
        assert_percentiles_ordered(phase)
    assert [p["requests"] for p in figures] == [30, 30, 3, 30, 30, 30]
    assert report["reads"]["caseload"]["endpoint"] == "GET /caseworker/caseload"
    assert report["reads"]["inbox"]["endpoint"] == "GET /agency/inbox"
    # Every read, warm-up included, wrote its access-log entry.
    assert report["access_log_entries_written"] == 2 * (30 + report["warm_up_requests"])
