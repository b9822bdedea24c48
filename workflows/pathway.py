"""PathwayWorkflow: one durable workflow per person, the single writer of that person's stream.

Foundation slice: a pathway opens with its origin organisation responsible for the clinical track,
and a handover moves that responsibility warmly (the sender stays responsible until the receiver
has accepted *and* made first contact). Every step is appended to the event store by an activity,
with event ids fixed here in the workflow so that a retried append writes nothing twice.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.event_store import AppendEventsInput, AppendEventsResult, EventToAppend
    from workflows.inputs import (
        ClosePathwayInput,
        HandoverStepInput,
        HandoverView,
        OpenPathwayInput,
        PathwaySnapshot,
        RequestHandoverInput,
        stream_id,
    )

APPEND_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=10)
)


@workflow.defn
class PathwayWorkflow:
    """The route of one person, from discharge to work."""

    @workflow.init
    def __init__(self, request: OpenPathwayInput) -> None:
        self._pathway_id = request.pathway_id
        self._coordinator = request.coordinator_id
        self._status = "opening"
        self._responsible: dict[str, str] = {"clinical": request.origin_org}
        self._handovers: dict[str, HandoverView] = {}
        self._version = 0
        self._lock = asyncio.Lock()
        self._closed = False

    @workflow.run
    async def run(self, request: OpenPathwayInput) -> PathwaySnapshot:
        async with self._lock:
            await self._append(
                request.actor,
                "PathwayOpened",
                {
                    "pathway_id": request.pathway_id,
                    "jurisdiction": request.jurisdiction,
                    "coordinator_id": request.coordinator_id,
                    "origin_org": request.origin_org,
                },
            )
            self._status = "active"
        await workflow.wait_condition(lambda: self._closed)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.snapshot()

    @workflow.query
    def snapshot(self) -> PathwaySnapshot:
        """The pathway's current state."""
        return PathwaySnapshot(
            pathway_id=self._pathway_id,
            status=self._status,
            coordinator_id=self._coordinator,
            responsible=dict(self._responsible),
            handovers=list(self._handovers.values()),
            stream_version=self._version,
        )

    @workflow.update
    async def request_handover(self, request: RequestHandoverInput) -> PathwaySnapshot:
        """Open a handover of a track to another organisation."""
        await self._opened()
        async with self._lock:
            from_org = self._responsible[request.track]
            await self._append(
                request.actor,
                "HandoverRequested",
                {
                    "handover_id": request.handover_id,
                    "track": request.track,
                    "from_org": from_org,
                    "to_org": request.to_org,
                },
            )
            self._handovers[request.handover_id] = HandoverView(
                handover_id=request.handover_id,
                track=request.track,
                from_org=from_org,
                to_org=request.to_org,
                status="requested",
            )
        return self.snapshot()

    @request_handover.validator
    def _validate_request(self, request: RequestHandoverInput) -> None:
        self._require_active()
        if request.track not in self._responsible:
            raise ValueError(f"track {request.track} has no responsible organisation")
        if request.handover_id in self._handovers:
            raise ValueError(f"handover {request.handover_id} already exists")
        if self._responsible[request.track] == request.to_org:
            raise ValueError(f"{request.to_org} is already responsible for {request.track}")

    @workflow.update
    async def accept_handover(self, request: HandoverStepInput) -> PathwaySnapshot:
        """The receiving organisation accepts; the sender stays responsible for now."""
        await self._opened()
        async with self._lock:
            await self._append(
                request.actor, "HandoverAccepted", {"handover_id": request.handover_id}
            )
            self._set_status(request.handover_id, "accepted")
        return self.snapshot()

    @accept_handover.validator
    def _validate_accept(self, request: HandoverStepInput) -> None:
        self._require_active()
        self._require_handover(request.handover_id, "requested")

    @workflow.update
    async def record_first_contact(self, request: HandoverStepInput) -> PathwaySnapshot:
        """First contact by the receiver closes the loop: responsibility moves now."""
        await self._opened()
        async with self._lock:
            handover = self._handovers[request.handover_id]
            await self._append(
                request.actor,
                "FirstContactMade",
                {"handover_id": request.handover_id},
            )
            await self._append(
                request.actor,
                "HandoverCompleted",
                {
                    "handover_id": request.handover_id,
                    "track": handover.track,
                    "responsible_org": handover.to_org,
                },
            )
            self._responsible[handover.track] = handover.to_org
            self._set_status(request.handover_id, "completed")
        return self.snapshot()

    @record_first_contact.validator
    def _validate_first_contact(self, request: HandoverStepInput) -> None:
        self._require_active()
        self._require_handover(request.handover_id, "accepted")

    @workflow.update
    async def close(self, request: ClosePathwayInput) -> PathwaySnapshot:
        """Close the pathway with a reason."""
        await self._opened()
        async with self._lock:
            await self._append(request.actor, "PathwayClosed", {"reason": request.reason})
            self._status = "closed"
            self._closed = True
        return self.snapshot()

    @close.validator
    def _validate_close(self, request: ClosePathwayInput) -> None:
        self._require_active()
        open_handovers = [
            h.handover_id for h in self._handovers.values() if h.status != "completed"
        ]
        if open_handovers:
            raise ValueError(f"handovers still open: {', '.join(sorted(open_handovers))}")

    def _require_active(self) -> None:
        # "opening" is accepted: the handler waits for the opening event to be stored first.
        if self._status not in {"opening", "active"}:
            raise ValueError(f"pathway is {self._status}")

    async def _opened(self) -> None:
        await workflow.wait_condition(lambda: self._status != "opening")

    def _require_handover(self, handover_id: str, status: str) -> None:
        handover = self._handovers.get(handover_id)
        if handover is None:
            raise ValueError(f"no handover {handover_id}")
        if handover.status != status:
            raise ValueError(f"handover {handover_id} is {handover.status}, not {status}")

    def _set_status(self, handover_id: str, status: str) -> None:
        self._handovers[handover_id] = self._handovers[handover_id].model_copy(
            update={"status": status}
        )

    async def _append(self, actor: str, event_type: str, payload: dict[str, Any]) -> None:
        event = EventToAppend(
            event_id=workflow.uuid4(), type=event_type, payload=payload, actor=actor
        )
        result: AppendEventsResult = await workflow.execute_activity(
            "append_events",
            AppendEventsInput(
                stream_id=stream_id(self._pathway_id),
                subject_id=self._pathway_id,
                expected_version=self._version,
                events=[event],
            ),
            result_type=AppendEventsResult,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=APPEND_RETRY,
        )
        if result.last_version != self._version + 1:
            raise ApplicationError(
                f"stream {stream_id(self._pathway_id)} moved to {result.last_version}",
                non_retryable=True,
            )
        self._version = result.last_version
