"""Rules of the pathway itself: open, coordinator, tracks, services, pause, resume, close."""

from __future__ import annotations

from domain.clock import Interval
from domain.commands import (
    AssignSupervisor,
    ClosePathway,
    EndTrack,
    OpenPathway,
    PausePathway,
    RecordServiceEnded,
    RecordWorkAspiration,
    ReplaceCoordinator,
    ResumePathway,
    StartTrack,
)
from domain.employment import FORBIDDEN_END_REASONS, Employment, SupportEndReason
from domain.errors import (
    DuplicateEntityError,
    ForbiddenReasonError,
    InvalidCommandError,
    InvalidTransitionError,
    PathwayStateError,
    TemplateMismatchError,
)
from domain.events import (
    CoordinatorAssigned,
    CoordinatorReassigned,
    Event,
    PathwayClosed,
    PathwayOpened,
    PathwayPaused,
    PathwayResumed,
    ServiceEnded,
    SupervisorAssigned,
    SupportGapClosed,
    SupportGapOpened,
    TrackEnded,
    TrackStarted,
    WorkAspirationRecorded,
)
from domain.gaps import GapTrigger
from domain.rules.context import Applier, Context, Decider, replace_item
from domain.rules.guards import require_live
from domain.state import Coordinator, PathwayState, PathwayStatus, PauseReason
from domain.tracks import Track, TrackStatus

# --- decide -------------------------------------------------------------------------------------


def _open(state: PathwayState, command: OpenPathway, ctx: Context) -> list[Event]:
    if state.status is not PathwayStatus.NEW:
        raise PathwayStateError(f"pathway {state.pathway_id} is already open")
    if command.pathway_id != state.pathway_id:
        raise InvalidCommandError(
            f"command opens pathway {command.pathway_id} but the state is {state.pathway_id}"
        )
    if (command.template_id, command.template_version) != (ctx.template.id, ctx.template.version):
        raise TemplateMismatchError(
            f"command names template {command.template_id} v{command.template_version} "
            f"but {ctx.template.id} v{ctx.template.version} was passed in"
        )
    events: list[Event] = [
        PathwayOpened(
            **ctx.stamp(),
            template_id=command.template_id,
            template_version=command.template_version,
            entry_channel=command.entry_channel,
            supervisor_id=command.supervisor_id,
        ),
        CoordinatorAssigned(
            **ctx.stamp(), worker_id=command.coordinator_id, org_id=command.coordinator_org
        ),
    ]
    events.extend(
        TrackStarted(**ctx.stamp(), track=track, responsible_org=command.tracks[track])
        for track in Track
        if track in command.tracks
    )
    return events


def _replace_coordinator(
    state: PathwayState, command: ReplaceCoordinator, ctx: Context
) -> list[Event]:
    require_live(state)
    assert state.coordinator is not None
    if command.worker_id == state.coordinator.worker_id:
        raise InvalidCommandError(f"{command.worker_id} is already the coordinator")
    return [
        CoordinatorReassigned(
            **ctx.stamp(),
            worker_id=command.worker_id,
            org_id=command.org_id,
            previous_worker_id=state.coordinator.worker_id,
            reason_code=command.reason_code,
        )
    ]


def _assign_supervisor(state: PathwayState, command: AssignSupervisor, ctx: Context) -> list[Event]:
    require_live(state)
    return [SupervisorAssigned(**ctx.stamp(), supervisor_id=command.supervisor_id)]


def _start_track(state: PathwayState, command: StartTrack, ctx: Context) -> list[Event]:
    require_live(state)
    current = state.track(command.track)
    if current.status is TrackStatus.ACTIVE:
        raise DuplicateEntityError(
            f"track {command.track.value} is already active "
            f"(responsible: {current.responsible_org})"
        )
    return [
        TrackStarted(**ctx.stamp(), track=command.track, responsible_org=command.responsible_org)
    ]


def check_end_reason(reason_code: str, what: str) -> None:
    """Refuse time-based reasons for ending support (R-16, IPS fidelity item 25)."""
    if reason_code in FORBIDDEN_END_REASONS:
        raise ForbiddenReasonError(
            f"{what} cannot end for {reason_code!r}: support is time-unlimited and ends only by "
            "an explicit decision"
        )


def gap_closings_for_track_end(state: PathwayState, track: Track, ctx: Context) -> list[Event]:
    """Gaps on a track that ends by decision close with it: there is nothing left to wait for."""
    return [
        SupportGapClosed(**ctx.stamp(), gap_id=gap.gap_id, duration=ctx.now - gap.opened_at)
        for gap in state.gaps.values()
        if gap.is_open and gap.track is track
    ]


def _end_track(state: PathwayState, command: EndTrack, ctx: Context) -> list[Event]:
    require_live(state)
    current = state.track(command.track)
    if current.status is not TrackStatus.ACTIVE:
        raise InvalidTransitionError(f"track {command.track.value} is not active")
    check_end_reason(command.reason_code, f"the {command.track.value} track")
    if command.track is Track.EMPLOYMENT:
        if command.reason_code not in set(SupportEndReason):
            raise InvalidCommandError(
                f"the employment track ends only for one of: {', '.join(SupportEndReason)}"
            )
        if state.continuation_pending is not None:
            raise InvalidTransitionError(
                "a status change awaits DecideEmploymentContinuation; decide it instead"
            )
    pending = state.open_handover_for(command.track.value)
    if pending is not None:
        raise InvalidTransitionError(
            f"track {command.track.value} has open handover {pending.handover_id} "
            f"(status: {pending.status.value})"
        )
    return [
        *gap_closings_for_track_end(state, command.track, ctx),
        TrackEnded(**ctx.stamp(), track=command.track, reason_code=command.reason_code),
    ]


def _service_ended(state: PathwayState, command: RecordServiceEnded, ctx: Context) -> list[Event]:
    require_live(state)
    current = state.track(command.track)
    if current.status is not TrackStatus.ACTIVE or not current.service_active:
        raise InvalidTransitionError(f"track {command.track.value} has no running service")
    assert current.responsible_org is not None
    events: list[Event] = [
        ServiceEnded(
            **ctx.stamp(),
            track=command.track,
            org_id=current.responsible_org,
            reason_code=command.reason_code,
        )
    ]
    if state.open_handover_for(command.track.value) is None:
        events.append(
            SupportGapOpened(
                **ctx.stamp(),
                gap_id=ctx.new_local_id("g"),
                trigger=GapTrigger.SERVICE_ENDED,
                track=command.track,
            )
        )
    return events


def _pause(state: PathwayState, command: PausePathway, ctx: Context) -> list[Event]:
    require_live(state)
    if state.status is not PathwayStatus.ACTIVE:
        raise PathwayStateError(f"pathway {state.pathway_id} is already paused")
    if command.reason is PauseReason.READMISSION:
        raise InvalidCommandError("a readmission pauses the pathway through RecordAdmission")
    return [PathwayPaused(**ctx.stamp(), reason=command.reason)]


def _resume(state: PathwayState, command: ResumePathway, ctx: Context) -> list[Event]:
    require_live(state)
    if state.status is not PathwayStatus.PAUSED:
        raise PathwayStateError(f"pathway {state.pathway_id} is not paused")
    if state.pause_reason is PauseReason.READMISSION:
        raise InvalidTransitionError(
            f"pathway {state.pathway_id} is paused by a readmission; it resumes at discharge"
        )
    return [PathwayResumed(**ctx.stamp())]


def _close(state: PathwayState, command: ClosePathway, ctx: Context) -> list[Event]:
    require_live(state)
    still_open = sorted(h.handover_id for h in state.handovers.values() if h.is_open)
    if still_open:
        raise InvalidTransitionError(
            f"pathway {state.pathway_id} has open handovers ({', '.join(still_open)}); "
            "complete, redirect or withdraw them before closing"
        )
    return [PathwayClosed(**ctx.stamp(), reason=command.reason, person_view=command.person_view)]


def _aspiration(state: PathwayState, command: RecordWorkAspiration, ctx: Context) -> list[Event]:
    require_live(state)
    return [WorkAspirationRecorded(**ctx.stamp(), text=command.text)]


DECIDERS: dict[type, Decider] = {
    OpenPathway: _open,
    ReplaceCoordinator: _replace_coordinator,
    AssignSupervisor: _assign_supervisor,
    StartTrack: _start_track,
    EndTrack: _end_track,
    RecordServiceEnded: _service_ended,
    PausePathway: _pause,
    ResumePathway: _resume,
    ClosePathway: _close,
    RecordWorkAspiration: _aspiration,
}

# --- evolve -------------------------------------------------------------------------------------


def _close_last(pauses: tuple[Interval, ...], event: Event) -> tuple[Interval, ...]:
    if pauses and pauses[-1].end is None:
        return (*pauses[:-1], pauses[-1].model_copy(update={"end": event.occurred_at}))
    return pauses


def _opened(state: PathwayState, event: PathwayOpened) -> PathwayState:
    return state.model_copy(
        update={
            "status": PathwayStatus.ACTIVE,
            "template_id": event.template_id,
            "template_version": event.template_version,
            "opened_at": event.occurred_at,
            "supervisor_id": event.supervisor_id,
        }
    )


def _coordinator_assigned(state: PathwayState, event: CoordinatorAssigned) -> PathwayState:
    coordinator = Coordinator(
        worker_id=event.worker_id, org_id=event.org_id, since=event.occurred_at
    )
    return state.model_copy(update={"coordinator": coordinator})


def _coordinator_reassigned(state: PathwayState, event: CoordinatorReassigned) -> PathwayState:
    coordinator = Coordinator(
        worker_id=event.worker_id, org_id=event.org_id, since=event.occurred_at
    )
    return state.model_copy(
        update={"coordinator": coordinator, "coordinator_changes": state.coordinator_changes + 1}
    )


def _supervisor_assigned(state: PathwayState, event: SupervisorAssigned) -> PathwayState:
    return state.model_copy(update={"supervisor_id": event.supervisor_id})


def _track_started(state: PathwayState, event: TrackStarted) -> PathwayState:
    track = state.track(event.track).model_copy(
        update={
            "status": TrackStatus.ACTIVE,
            "responsible_org": event.responsible_org,
            "service_active": event.held_for_handover is None,
            "held_for_handover": event.held_for_handover,
            "started_at": event.occurred_at,
            "ended_at": None,
        }
    )
    return state.model_copy(update={"tracks": replace_item(state.tracks, event.track, track)})


def _track_ended(state: PathwayState, event: TrackEnded) -> PathwayState:
    track = state.track(event.track).model_copy(
        update={
            "status": TrackStatus.ENDED,
            "service_active": False,
            "held_for_handover": None,
            "ended_at": event.occurred_at,
        }
    )
    update: dict[str, object] = {"tracks": replace_item(state.tracks, event.track, track)}
    if event.track is Track.EMPLOYMENT:
        # The domain stops following work once the person decided to end the track.
        update["employment"] = Employment(jobs_started=state.employment.jobs_started)
    return state.model_copy(update=update)


def _service_ended_applied(state: PathwayState, event: ServiceEnded) -> PathwayState:
    track = state.track(event.track).model_copy(update={"service_active": False})
    return state.model_copy(update={"tracks": replace_item(state.tracks, event.track, track)})


def _paused(state: PathwayState, event: PathwayPaused) -> PathwayState:
    return state.model_copy(
        update={
            "status": PathwayStatus.PAUSED,
            "pause_reason": event.reason,
            "pauses": (*state.pauses, Interval(start=event.occurred_at)),
        }
    )


def _resumed(state: PathwayState, event: PathwayResumed) -> PathwayState:
    return state.model_copy(
        update={
            "status": PathwayStatus.ACTIVE,
            "pause_reason": None,
            "pauses": _close_last(state.pauses, event),
        }
    )


def _closed(state: PathwayState, event: PathwayClosed) -> PathwayState:
    return state.model_copy(
        update={
            "status": PathwayStatus.CLOSED,
            "closed_at": event.occurred_at,
            "close_reason": event.reason,
            "pause_reason": None,
            "pauses": _close_last(state.pauses, event),
        }
    )


def _aspiration_recorded(state: PathwayState, event: WorkAspirationRecorded) -> PathwayState:
    return state.model_copy(update={"work_aspirations": state.work_aspirations + 1})


APPLIERS: dict[type, Applier] = {
    PathwayOpened: _opened,
    CoordinatorAssigned: _coordinator_assigned,
    CoordinatorReassigned: _coordinator_reassigned,
    SupervisorAssigned: _supervisor_assigned,
    TrackStarted: _track_started,
    TrackEnded: _track_ended,
    ServiceEnded: _service_ended_applied,
    PathwayPaused: _paused,
    PathwayResumed: _resumed,
    PathwayClosed: _closed,
    WorkAspirationRecorded: _aspiration_recorded,
}
