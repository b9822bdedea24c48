"""PathwayWorkflow: one durable workflow per person, the single writer of that person's stream.

Every command arrives as the ``execute`` update. Its validator runs the pure ``decide`` against the
current state, so a command that breaks a rule is rejected before anything reaches history. The
handler decides again with real event ids (``workflow.uuid4``: replay-safe, so a retried append
carries the same ids and writes nothing twice), appends the events through an activity, and only
then evolves the state. Clocks are domain data: the run loop sleeps until the earliest deadline
from ``next_deadlines`` and feeds a missed one back as a ``MarkDeadlineMissed`` command.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey, SearchAttributeUpdate
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.event_store import AppendEventsInput, AppendEventsResult, EventToAppend
    from activities.notices import EscalationNotice, HandoverNotice
    from domain import (
        Command,
        Deadline,
        DomainError,
        Event,
        PathwayState,
        PathwayStatus,
        decide,
        due_deadlines,
        event_type,
        evolve,
        next_deadlines,
        personal_fields_of,
        schema_version,
        to_payload,
    )
    from domain.events.deadlines import EscalationRaised
    from domain.events.handover import HandoverRequested
    from workflows.inputs import (
        CarriedState,
        CarriedUpdate,
        CommandOutcome,
        CommandRequest,
        EventRef,
        PathwaySummary,
        PathwayWorkflowInput,
        stream_id,
    )

ACTIVITY_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=10)
)
# An attempt's limit: an append or a notice takes milliseconds, so this is mostly how long a task
# given to a worker that then died waits before it is retried elsewhere (with 30 s, the crash test
# took 76 s; with 10 s, 60 s). A slow attempt that is retried is harmless: appends are idempotent
# by event id and notices by their keys.
ACTIVITY_TIMEOUT = timedelta(seconds=10)

COORDINATOR_KEY = SearchAttributeKey.for_keyword("PathwayCoordinator")
RESPONSIBLE_KEY = SearchAttributeKey.for_keyword_list("PathwayResponsibleOrg")
STAGE_KEY = SearchAttributeKey.for_keyword("PathwayStage")
AT_RISK_KEY = SearchAttributeKey.for_bool("PathwayAtRisk")

# Continue-as-new well before Temporal's 51,200-event hard limit; the server also suggests it at
# 4,096 events, whichever comes first.
HISTORY_EVENTS_BEFORE_CONTINUE = 8_000
AT_RISK_HORIZON = timedelta(days=7)

# Patches (docs/adr/0003-workflow-versioning.md): each guards a change in the commands a run
# emits, so that runs recorded before it replay on their old path.
# Upsert search attributes only when one of them changed (was: after every command).
PATCH_UNCHANGED_SEARCH_ATTRIBUTES = "search-attributes-only-when-changed"
# Keep the deadline timer while the earliest deadline stays the same (was: a cancelled and a new
# timer after every command).
PATCH_KEEP_DEADLINE_TIMER = "deadline-timer-kept-across-changes"
# Answer an update id that an earlier run of the pathway executed with that run's outcome (was: a
# retry that arrived after continue-as-new ran its command again).
PATCH_UPDATES_DEDUPLICATED_ACROSS_RUNS = "updates-deduplicated-across-runs"

UPDATE_OUTCOMES_CARRIED = 50
"""How many of the latest update outcomes a run keeps and hands to the next (Temporal itself
answers a repeated update id only within one run). A retry of an older update than these runs
its command again; a pathway's commands are usually days apart, and each outcome kept costs the
worker's cache a few hundred bytes."""


def _current_update_id() -> str | None:
    info = workflow.current_update_info()
    return info.id if info is not None else None


def _validation_ids() -> Callable[[], uuid.UUID]:
    """Stand-in ids for a validator's dry run: it must not draw from the workflow's random."""
    counter: Iterator[int] = iter(range(1, 1_000_000))
    return lambda: uuid.UUID(int=next(counter))


@workflow.defn
class PathwayWorkflow:
    """The route of one person, from discharge to work."""

    @workflow.init
    def __init__(self, request: PathwayWorkflowInput) -> None:
        carried = request.carried
        self._template = request.template
        self._state = carried.state if carried else PathwayState.new(request.pathway_id)
        self._stream_version = carried.stream_version if carried else 0
        # Deadlines whose firing decided nothing; never fire them again in this pathway.
        self._fired_without_effect: set[str] = set(carried.fired_without_effect if carried else [])
        # Outcomes by update id, oldest first: this run's and the ones carried from earlier runs.
        self._outcomes: dict[str, CommandOutcome] = {
            u.update_id: u.outcome for u in (carried.recent_updates if carried else [])
        }
        self._open = request.open if carried is None else None
        self._opening = self._open is not None
        self._lock = asyncio.Lock()
        self._changes = 0
        self._timer: asyncio.Task[None] | None = None
        self._timer_due: datetime | None = None
        self._search_attributes: tuple[str, tuple[str, ...], bool, str | None] | None = None

    @workflow.run
    async def run(self, request: PathwayWorkflowInput) -> PathwaySummary:
        if request.open is not None and self._state.status is PathwayStatus.NEW:
            async with self._lock:
                await self._apply(request.open)
        self._opening = False
        while self._state.status is not PathwayStatus.CLOSED:
            if self._should_continue_as_new():
                await workflow.wait_condition(
                    lambda: workflow.all_handlers_finished() and not self._lock.locked()
                )
                workflow.continue_as_new(
                    PathwayWorkflowInput(
                        pathway_id=request.pathway_id,
                        template=self._template,
                        carried=CarriedState(
                            state=self._state,
                            stream_version=self._stream_version,
                            fired_without_effect=sorted(self._fired_without_effect),
                            recent_updates=[
                                CarriedUpdate(update_id=update_id, outcome=outcome)
                                for update_id, outcome in self._outcomes.items()
                            ],
                        ),
                    )
                )
            await self._sleep_until_next_deadline_or_change()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.summary()

    @workflow.update
    async def execute(self, request: CommandRequest) -> CommandOutcome:
        """Decide and record one command; returns the event types it appended."""
        update_id = _current_update_id()
        earlier = self._outcomes.get(update_id) if update_id is not None else None
        if earlier is not None and workflow.patched(PATCH_UPDATES_DEDUPLICATED_ACROSS_RUNS):
            # Only an earlier run's update can be here: within a run Temporal answers a repeated
            # id itself, without calling this handler.
            return earlier
        await workflow.wait_condition(lambda: not self._opening)
        async with self._lock:
            try:
                events = await self._apply(request.command)
            except DomainError as exc:
                # The state moved between validation and execution (another update won the lock).
                raise ApplicationError(
                    str(exc), type=type(exc).__name__, non_retryable=True
                ) from exc
        outcome = CommandOutcome(
            events=[_ref(e) for e in events], stream_version=self._stream_version
        )
        if update_id is not None:
            self._remember(update_id, outcome)
        return outcome

    def _remember(self, update_id: str, outcome: CommandOutcome) -> None:
        self._outcomes.pop(update_id, None)
        self._outcomes[update_id] = outcome
        while len(self._outcomes) > UPDATE_OUTCOMES_CARRIED:
            del self._outcomes[next(iter(self._outcomes))]

    @execute.validator
    def _validate(self, request: CommandRequest) -> None:
        update_id = _current_update_id()
        if update_id is not None and update_id in self._outcomes:
            return  # a retry of an earlier run's update: the handler answers with its outcome
        try:
            decide(
                self._validation_state(),
                request.command,
                template=self._template,
                now=workflow.now(),
                new_id=_validation_ids(),
            )
        except DomainError as exc:
            raise ValueError(str(exc)) from exc

    def _validation_state(self) -> PathwayState:
        """The state a command will meet: while the opening is being stored, the opened state."""
        if not self._opening or self._open is None:
            return self._state
        ids = _validation_ids()
        opened = decide(
            self._state, self._open, template=self._template, now=workflow.now(), new_id=ids
        )
        state = self._state
        for event in opened:
            state = evolve(state, event)
        return state

    @workflow.query
    def state(self) -> PathwayState:
        """The full domain state (fold of every event in the stream)."""
        return self._state

    @workflow.query
    def summary(self) -> PathwaySummary:
        """A compact view for case workers and dashboards."""
        state = self._state
        return PathwaySummary(
            pathway_id=state.pathway_id,
            status=state.status.value,
            coordinator_id=state.coordinator.worker_id if state.coordinator else None,
            responsible={
                t.track.value: t.responsible_org
                for t in state.active_tracks()
                if t.responsible_org is not None
            },
            open_handovers={
                h.handover_id: h.status.value for h in state.handovers.values() if h.is_open
            },
            open_gaps=sum(1 for g in state.gaps.values() if g.is_open),
            stream_version=self._stream_version,
            next_deadlines=next_deadlines(state, self._template),
        )

    def _pending_deadlines(self) -> list[Deadline]:
        return [
            d
            for d in next_deadlines(self._state, self._template)
            if d.key not in self._fired_without_effect
        ]

    async def _sleep_until_next_deadline_or_change(self) -> None:
        if workflow.patched(PATCH_KEEP_DEADLINE_TIMER):
            await self._sleep_keeping_the_timer()
        else:
            await self._sleep_with_a_timer_per_wait()

    async def _sleep_keeping_the_timer(self) -> None:
        """Sleep until the earliest deadline or a change; the timer survives unrelated changes.

        A command that leaves the earliest deadline where it was (most of them) costs no timer
        events in history; only a moved deadline cancels the timer and starts another.
        """
        pending = self._pending_deadlines()
        due = pending[0].due_at if pending else None
        if due != self._timer_due:
            if self._timer is not None:
                self._timer.cancel()
            self._timer, self._timer_due = None, None
            wait = (due - workflow.now()).total_seconds() if due is not None else 0.0
            if due is not None and wait > 0:
                self._timer, self._timer_due = asyncio.create_task(asyncio.sleep(wait)), due
        if due is not None and self._timer is None:
            async with self._lock:
                await self._fire_due_deadlines()
            return
        seen = self._changes
        timer = self._timer
        await workflow.wait_condition(
            lambda: (
                (timer is not None and timer.done())
                or self._changes != seen
                or self._should_continue_as_new()
            )
        )
        if timer is not None and timer.done():
            self._timer, self._timer_due = None, None
            async with self._lock:
                await self._fire_due_deadlines()

    async def _sleep_with_a_timer_per_wait(self) -> None:
        """The pre-patch sleep: a new timer per wait, cancelled by any change."""
        pending = self._pending_deadlines()
        seen = self._changes
        if not pending:
            await workflow.wait_condition(
                lambda: self._changes != seen or self._should_continue_as_new()
            )
            return
        wait = pending[0].due_at - workflow.now()
        if wait > timedelta(0):
            try:
                await workflow.wait_condition(
                    lambda: self._changes != seen or self._should_continue_as_new(),
                    timeout=wait,
                )
            except TimeoutError:
                pass
            else:
                return
        async with self._lock:
            await self._fire_due_deadlines()

    async def _fire_due_deadlines(self) -> None:
        for deadline in due_deadlines(self._state, self._template, workflow.now()):
            if deadline.key in self._fired_without_effect:
                continue
            try:
                events = await self._apply(deadline.as_command())
            except DomainError:
                events = []
            if not events:
                self._fired_without_effect.add(deadline.key)

    async def _apply(self, command: Command) -> list[Event]:
        """Decide, append, then evolve: the state never runs ahead of the store."""
        events = decide(
            self._state,
            command,
            template=self._template,
            now=workflow.now(),
            new_id=workflow.uuid4,
        )
        if not events:
            return []
        result: AppendEventsResult = await workflow.execute_activity(
            "append_events",
            AppendEventsInput(
                stream_id=stream_id(self._state.pathway_id),
                subject_id=self._state.pathway_id,
                expected_version=self._stream_version,
                events=[_to_append(e) for e in events],
            ),
            result_type=AppendEventsResult,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
        )
        if result.last_version != self._stream_version + len(events):
            raise ApplicationError(
                f"stream {stream_id(self._state.pathway_id)} is at {result.last_version}, "
                f"expected {self._stream_version + len(events)}",
                non_retryable=True,
            )
        for event in events:
            self._state = evolve(self._state, event)
        self._stream_version = result.last_version
        self._changes += 1
        await self._side_effects(events)
        self._upsert_search_attributes()
        return events

    async def _side_effects(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, HandoverRequested):
                await workflow.execute_activity(
                    "deliver_handover_notice",
                    HandoverNotice(
                        notice_id=event.event_id,
                        pathway_id=event.pathway_id,
                        handover_id=event.handover_id,
                        from_org=event.from_org,
                        to_org=event.to_org,
                        responsibility=str(event.responsibility),
                        requested_at=event.occurred_at,
                    ),
                    start_to_close_timeout=ACTIVITY_TIMEOUT,
                    retry_policy=ACTIVITY_RETRY,
                )
            elif isinstance(event, EscalationRaised):
                await workflow.execute_activity(
                    "notify_escalation",
                    EscalationNotice(
                        notice_id=event.event_id,
                        pathway_id=event.pathway_id,
                        recipient_role=event.target_role.value,
                        recipient_id=event.target_id,
                        subject=event.subject,
                        level=event.level,
                        kind=event.kind.value if event.kind else None,
                        raised_at=event.occurred_at,
                    ),
                    start_to_close_timeout=ACTIVITY_TIMEOUT,
                    retry_policy=ACTIVITY_RETRY,
                )

    def _upsert_search_attributes(self) -> None:
        state = self._state
        now = workflow.now()
        at_risk = any(g.is_open for g in state.gaps.values()) or any(
            d.due_at - now <= AT_RISK_HORIZON for d in next_deadlines(state, self._template)
        )
        responsible = sorted(
            {t.responsible_org for t in state.active_tracks() if t.responsible_org is not None}
        )
        coordinator = state.coordinator.worker_id if state.coordinator is not None else None
        values = (state.status.value, tuple(responsible), at_risk, coordinator)
        if workflow.patched(PATCH_UNCHANGED_SEARCH_ATTRIBUTES):
            if values == self._search_attributes:
                return  # an upsert is a history event and a visibility write: skip a no-op
            self._search_attributes = values
        updates: list[SearchAttributeUpdate[Any]] = [
            STAGE_KEY.value_set(state.status.value),
            RESPONSIBLE_KEY.value_set(responsible),
            AT_RISK_KEY.value_set(at_risk),
        ]
        if coordinator is not None:
            updates.append(COORDINATOR_KEY.value_set(coordinator))
        workflow.upsert_search_attributes(updates)

    def _should_continue_as_new(self) -> bool:
        info = workflow.info()
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() > HISTORY_EVENTS_BEFORE_CONTINUE
        )


def _to_append(event: Event) -> EventToAppend:
    name = event_type(event)
    return EventToAppend(
        event_id=event.event_id,
        type=name,
        schema_version=schema_version(name),
        payload=to_payload(event),
        actor=event.actor,
        personal_fields=sorted(personal_fields_of(name)),
    )


_NOT_REFERENCES = frozenset({"event_id", "pathway_id", "actor"})


def _ref(event: Event) -> EventRef:
    ids = {
        name: str(value)
        for name, value in event
        if name.endswith("_id") and name not in _NOT_REFERENCES and value is not None
    }
    return EventRef(type=event_type(event), ids=ids)
