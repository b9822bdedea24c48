"""Recorded histories of every committed workflow version replay against the current code.

A change to ``PathwayWorkflow`` that would break a running pathway fails here. To record new
histories after a deliberate, patched change, bump ``GENERATION`` and run
``PATHWAYS_RECORD_HISTORIES=1 pytest tests/workflows``; files of earlier generations stay, so the
pre-patch paths keep being replayed (docs/adr/0003-workflow-versioning.md).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from temporalio.client import Client, WorkflowHistory
from temporalio.worker import Replayer

from eventstore import PostgresEventStore
from scripts.scenarios import Route, declined_and_redirected, full_route
from tests.workflows.recorded import GENERATION, HISTORIES
from workers.settings import Settings
from workers.temporal_client import data_converter
from workflows.pathway import PathwayWorkflow


def _recorded() -> list[Path]:
    return sorted(HISTORIES.glob("*.json"))


@pytest.mark.skipif(
    not os.environ.get("PATHWAYS_RECORD_HISTORIES"), reason="records histories on request only"
)
async def test_record_histories(
    temporal_client: Client, running_worker: PostgresEventStore, task_queue: str
) -> None:
    for name, scenario, template in [
        ("full-route-nl", full_route, "nl"),
        ("declined-redirected-fast", declined_and_redirected, "fast"),
    ]:
        route = Route(temporal_client, task_queue, f"p-{name}", template)
        await scenario(route, datetime.now(UTC))
        assert route.handle is not None
        history = await route.handle.fetch_history()
        (HISTORIES / f"{name}-{GENERATION}.json").write_text(history.to_json())


@pytest.mark.parametrize(
    "history",
    [WorkflowHistory.from_json(p.stem, p.read_text()) for p in _recorded()],
    ids=[p.stem for p in _recorded()],
)
async def test_a_recorded_history_replays_on_the_current_workflow(
    history: WorkflowHistory,
) -> None:
    # The product's converter: histories recorded since ADR 0006 hold payloads encrypted with the
    # suite's key, older ones plain payloads, which its codec passes through.
    replayer = Replayer(workflows=[PathwayWorkflow], data_converter=data_converter(Settings()))
    await replayer.replay_workflow(history)


def test_histories_are_committed() -> None:
    assert _recorded(), "no recorded histories under tests/workflows/histories"
