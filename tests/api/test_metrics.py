"""Operators' metrics at /metrics: command latency and projection health, no one's data."""

from __future__ import annotations

import re

import httpx

from tests.api.conftest import Parties, command, opening

P = "p-metrics-0001"


def _value(text: str, name: str) -> float:
    """The sum of a metric's samples named exactly ``name`` (0 when absent)."""
    pattern = re.compile(rf"^{re.escape(name)}(?:{{[^}}]*}})? ([0-9.e+-]+)$", re.MULTILINE)
    return sum(float(v) for v in pattern.findall(text))


async def test_metrics_count_commands_and_report_projection_health_without_personal_data(
    parties: Parties, http: httpx.AsyncClient
) -> None:
    before = await http.get("/metrics")
    assert before.status_code == 200, before.text
    assert before.headers["content-type"].startswith("text/plain")
    counted = _value(before.text, "pathways_commands_total")

    assert (await parties.coordinator.post("/caseworker/pathways", opening(P))).status_code == 201
    written = await parties.coordinator.post(
        f"/caseworker/pathways/{P}/commands",
        command("RecordWorkAspiration", text="to work with horses"),
    )
    assert written.status_code == 200, written.text

    after = (await http.get("/metrics")).text
    assert _value(after, "pathways_commands_total") == counted + 2
    assert 'outcome="2xx"' in after
    assert "pathways_command_duration_seconds_bucket" in after
    for gauge in (
        "pathways_projections_quarantined",
        "pathways_projections_lag_events",
        "pathways_projections_lag_seconds",
    ):
        assert re.search(rf"^{gauge}(?:{{[^}}]*}})? ", after, re.MULTILINE), gauge
    assert P not in after
    assert "horses" not in after
