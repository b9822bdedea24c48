"""A command that bypasses the API is held to the same bounds by the workflow itself.

A client speaking to Temporal directly can send a command pydantic never validated on its side
(built with ``model_construct``). The workflow decodes the update into the domain's command model,
whose types refuse the value, so the update is rejected before it is accepted: nothing reaches the
history or the store.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError

from domain import Command
from domain.commands import GrantConsent, RecordAdmission, RecordWorkAspiration
from domain.consent import DataCategory, Purpose
from domain.wards import WardType
from eventstore import PostgresEventStore
from scripts.scenarios import COORDINATOR, Route, until
from workflows.inputs import stream_id

_SMUGGLED: dict[str, Command] = {
    "nul": RecordWorkAspiration.model_construct(
        type="RecordWorkAspiration", actor=COORDINATOR, text="my goal\x00"
    ),
    "year-9999": GrantConsent.model_construct(
        type="GrantConsent",
        actor=COORDINATOR,
        consent_id=None,
        recipient_org="org-fast-municipality-1",
        purpose=Purpose.CARE_COORDINATION,
        data_categories=frozenset({DataCategory.CARE_PLAN}),
        expires_at=datetime.fromisoformat("9999-12-31T23:59:59-12:00"),
    ),
    "free-text-ward": RecordAdmission.model_construct(
        type="RecordAdmission",
        actor="ward-1",
        hospital_org="org-fast-hospital-1",
        ward_type="bed 4, next to Mr Jones",  # type: ignore[arg-type]  # what a raw client sends
    ),
}

# The same commands with the value in bounds: accepted, so the refusals above are the bounds'.
_FIXED: dict[str, dict[str, object]] = {
    "nul": {"text": "my goal"},
    "year-9999": {"expires_at": datetime(2030, 1, 1, tzinfo=UTC)},
    "free-text-ward": {"ward_type": WardType.ACUTE},
}


@pytest.mark.parametrize("case", sorted(_SMUGGLED))
async def test_a_command_sent_around_the_api_with_an_unholdable_value_is_rejected(
    temporal_client: Client, running_worker: PostgresEventStore, task_queue: str, case: str
) -> None:
    route = Route(temporal_client, task_queue, f"p-smuggled-{case}-{task_queue}", "fast")
    await route.open()

    async def opened() -> bool:
        return (await route.summary()).stream_version > 0

    await until(opened, within_seconds=30)
    stream = stream_id(route.pathway_id)
    before = await running_worker.read_stream(stream)
    with pytest.raises(WorkflowUpdateFailedError):
        await route.do(_SMUGGLED[case])
    assert route.handle is not None
    history = await route.handle.fetch_history()
    assert not any(
        e.HasField("workflow_execution_update_accepted_event_attributes") for e in history.events
    )
    assert await running_worker.read_stream(stream) == before

    fixed = _SMUGGLED[case].model_copy(update=_FIXED[case])
    await route.do(type(fixed).model_validate(fixed.model_dump()))
    assert len(await running_worker.read_stream(stream)) > len(before)
