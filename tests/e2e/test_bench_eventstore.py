"""``pathways bench eventstore --quick --json`` runs every workload end to end.

Only the shape and sanity of the report are checked, never timings: the machine is shared.
"""

from __future__ import annotations

import json

from tests.e2e.conftest import RunCli

APPEND_CONTENDERS = {"pathways", "raw_insert"}


def test_quick_bench_reports_every_workload_with_positive_figures(
    run_cli: RunCli, pg_admin_dsn: str
) -> None:
    completed = run_cli(
        "bench", "eventstore", "--quick", "--json", env={"PATHWAYS_DATABASE_URL": pg_admin_dsn}
    )

    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    workloads = report["workloads"]
    for workload in ("append_1", "append_8"):
        assert workloads[workload].keys() >= APPEND_CONTENDERS
    assert {"pathways", "copy"} <= workloads["batch_100"].keys()
    assert {"pathways", "read_stream+from_payload", "read_stream_only"} <= workloads[
        "replay"
    ].keys()
    assert workloads["verify"]["events_checked"] > 0
    for contenders in workloads.values():
        for figure in contenders.values():
            if isinstance(figure, dict):
                assert figure["median"] > 0
                assert all(rate > 0 for rate in figure["rounds"])
    has_anchor = not any("eventsourcing" in note for note in report["notes"])
    assert has_anchor == ("eventsourcing" in workloads["append_1"])
    assert {t["name"] for t in report["targets"]} >= {
        "single append vs raw INSERT, 1 writer",
        "batch of 100 vs COPY",
        "replay 100k into domain events",
        "verify",
    }
    assert report["spans"]["overhead_us"] > 0
    assert report["machine"]["postgresql"]
