"""Rules of the closed-loop handover process.

The sender stays responsible for the track until the receiver has accepted *and* made first
contact; only ``FirstContactMade`` moves responsibility. A declined or failed handover stays open
until it is redirected or escalated (or withdrawn by the person).
"""

from __future__ import annotations

from domain.clock import Interval
from domain.commands import (
    AcceptHandover,
    AcknowledgeHandover,
    DeclineHandover,
    EscalateHandover,
    FailHandover,
    RecordFirstContact,
    RecordHandoverMeeting,
    RecordOutreachAttempt,
    RedirectHandover,
    RequestHandover,
    ResumeHandover,
    WithdrawHandover,
)
from domain.consent import Purpose
from domain.employment import EmploymentPhase
from domain.errors import (
    ConsentRequiredError,
    DuplicateEntityError,
    ForbiddenReasonError,
    InvalidCommandError,
    InvalidTransitionError,
    NotResponsibleError,
    UnknownEntityError,
)
from domain.escalation import MAX_ESCALATION_LEVEL, target_for_level
from domain.events import (
    CoordinatorReassigned,
    EscalationRaised,
    Event,
    FirstContactMade,
    HandoverAccepted,
    HandoverAcknowledged,
    HandoverCompleted,
    HandoverDeclined,
    HandoverFailed,
    HandoverMeetingHeld,
    HandoverPutOnHold,
    HandoverRedirected,
    HandoverRequested,
    HandoverResumed,
    HandoverWithdrawn,
    OutreachAttemptRecorded,
    SupportGapClosed,
    TrackEnded,
    TrackStarted,
)
from domain.handover import (
    IN_FLIGHT,
    NEEDS_RESOLUTION,
    DeclineReason,
    Handover,
    HandoverStatus,
    HoldReason,
)
from domain.rules.context import Applier, Context, Decider, replace_item
from domain.rules.guards import require_handover, require_handover_status, require_live
from domain.state import PathwayState
from domain.tracks import Responsibility, Track, TrackStatus

# --- decide -------------------------------------------------------------------------------------


def _check_sender(state: PathwayState, responsibility: Responsibility, from_org: str) -> None:
    track = responsibility.track
    if track is None:
        assert state.coordinator is not None
        if from_org != state.coordinator.org_id:
            raise NotResponsibleError(
                f"a coordination handover is sent by the coordinator's organisation "
                f"{state.coordinator.org_id}, not {from_org}"
            )
        return
    current = state.track(track)
    if current.status is TrackStatus.ACTIVE and current.responsible_org != from_org:
        raise NotResponsibleError(
            f"{from_org} is not responsible for track {track.value} "
            f"(responsible: {current.responsible_org})"
        )


def _check_receiver(
    state: PathwayState,
    responsibility: Responsibility,
    from_org: str,
    to_org: str,
    to_worker: str | None,
) -> None:
    if responsibility is Responsibility.COORDINATION:
        assert state.coordinator is not None
        if to_worker is None:
            raise InvalidCommandError(
                "a coordination handover names the new coordinator (to_worker)"
            )
        if to_worker == state.coordinator.worker_id:
            raise InvalidCommandError(f"{to_worker} is already the coordinator")
    elif to_org == from_org:
        raise InvalidCommandError(f"a handover needs a receiver other than the sender {from_org}")


def _check_consent(state: PathwayState, consent_id: str | None, to_org: str, ctx: Context) -> None:
    if consent_id is None:
        return
    consent = state.consents.get(consent_id)
    if consent is None:
        raise UnknownEntityError(f"pathway {state.pathway_id} has no consent {consent_id}")
    if consent.recipient_org != to_org or not consent.is_active(ctx.now):
        raise ConsentRequiredError(f"consent {consent_id} is not active for {to_org}")


def _new_request(
    state: PathwayState,
    ctx: Context,
    *,
    handover_id: str | None,
    responsibility: Responsibility,
    from_org: str,
    to_org: str,
    to_worker: str | None,
    route_id: str | None,
    consent_id: str | None,
    note: str | None,
    redirected_from: str | None,
    inherited_warm: bool = False,
) -> list[Event]:
    _check_receiver(state, responsibility, from_org, to_org, to_worker)
    warm = inherited_warm
    if route_id is not None:
        step = ctx.template.route_step(route_id)
        if step.responsibility is not responsibility:
            raise InvalidCommandError(
                f"route step {route_id} moves {step.responsibility.value}, "
                f"not {responsibility.value}"
            )
        warm = step.warm_handover_required
    _check_consent(state, consent_id, to_org, ctx)
    new_id = handover_id or ctx.new_local_id("h")
    if new_id in state.handovers:
        raise DuplicateEntityError(f"pathway {state.pathway_id} already has handover {new_id}")
    events: list[Event] = []
    track = responsibility.track
    if track is not None and state.track(track).status is not TrackStatus.ACTIVE:
        # The track becomes active held by the sender: nobody is dropped while it travels.
        events.append(
            TrackStarted(
                **ctx.stamp(), track=track, responsible_org=from_org, held_for_handover=new_id
            )
        )
    events.append(
        HandoverRequested(
            **ctx.stamp(),
            handover_id=new_id,
            responsibility=responsibility,
            from_org=from_org,
            to_org=to_org,
            to_worker=to_worker,
            route_id=route_id,
            consent_id=consent_id,
            warm_handover_required=warm,
            redirected_from=redirected_from,
            note=note,
        )
    )
    return events


def _request(state: PathwayState, command: RequestHandover, ctx: Context) -> list[Event]:
    require_live(state)
    _check_sender(state, command.responsibility, command.from_org)
    pending = state.open_handover_for(command.responsibility.value)
    if pending is not None:
        raise InvalidTransitionError(
            f"handover {pending.handover_id} for {command.responsibility.value} is still open "
            f"(status: {pending.status.value})"
        )
    return _new_request(
        state,
        ctx,
        handover_id=command.handover_id,
        responsibility=command.responsibility,
        from_org=command.from_org,
        to_org=command.to_org,
        to_worker=command.to_worker,
        route_id=command.route_id,
        consent_id=command.consent_id,
        note=command.note,
        redirected_from=None,
    )


def _require_receiver(handover: Handover, by_org: str) -> None:
    if by_org != handover.to_org:
        raise NotResponsibleError(
            f"handover {handover.handover_id} was sent to {handover.to_org}, not {by_org}"
        )


def _acknowledge(state: PathwayState, command: AcknowledgeHandover, ctx: Context) -> list[Event]:
    require_live(state)
    handover = require_handover(state, command.handover_id)
    _require_receiver(handover, command.by_org)
    require_handover_status(handover, {HandoverStatus.REQUESTED}, "awaiting acknowledgement")
    return [
        HandoverAcknowledged(**ctx.stamp(), handover_id=handover.handover_id, by_org=command.by_org)
    ]


def _accept(state: PathwayState, command: AcceptHandover, ctx: Context) -> list[Event]:
    require_live(state)
    handover = require_handover(state, command.handover_id)
    _require_receiver(handover, command.by_org)
    require_handover_status(
        handover, {HandoverStatus.REQUESTED, HandoverStatus.ACKNOWLEDGED}, "awaiting acceptance"
    )
    return [
        HandoverAccepted(**ctx.stamp(), handover_id=handover.handover_id, by_org=command.by_org)
    ]


def _decline(state: PathwayState, command: DeclineHandover, ctx: Context) -> list[Event]:
    require_live(state)
    handover = require_handover(state, command.handover_id)
    _require_receiver(handover, command.by_org)
    require_handover_status(handover, IN_FLIGHT, "awaiting a decision")
    if command.reason_code is DeclineReason.UNSPECIFIED:
        raise InvalidCommandError("a decline needs a reason code; 'unspecified' is for old events")
    if (
        command.reason_code is DeclineReason.NOT_JOB_READY
        and handover.responsibility is Responsibility.EMPLOYMENT
    ):
        raise ForbiddenReasonError(
            "'not_job_ready' is not a reason to decline an employment handover: "
            "IPS has zero exclusion, everyone who wants to work is eligible"
        )
    return [
        HandoverDeclined(
            **ctx.stamp(),
            handover_id=handover.handover_id,
            by_org=command.by_org,
            reason_code=command.reason_code,
            reason_text=command.reason_text,
        )
    ]


def _redirect(state: PathwayState, command: RedirectHandover, ctx: Context) -> list[Event]:
    require_live(state)
    handover = require_handover(state, command.handover_id)
    require_handover_status(handover, NEEDS_RESOLUTION, "declined or failed")
    if command.to_org == handover.to_org and command.to_worker == handover.to_worker:
        raise InvalidCommandError(
            f"handover {handover.handover_id} already went to {handover.to_org}; "
            "redirect it to someone else"
        )
    new_id = command.new_handover_id or ctx.new_local_id("h")
    return [
        HandoverRedirected(
            **ctx.stamp(),
            handover_id=handover.handover_id,
            new_handover_id=new_id,
            to_org=command.to_org,
        ),
        *_new_request(
            state,
            ctx,
            handover_id=new_id,
            responsibility=handover.responsibility,
            from_org=handover.from_org,
            to_org=command.to_org,
            to_worker=command.to_worker,
            route_id=command.route_id,
            consent_id=None,  # a consent names its recipient; the new one needs its own
            note=None,
            redirected_from=handover.handover_id,
            inherited_warm=handover.warm_handover_required,
        ),
    ]


def escalation_target_id(state: PathwayState, level: int) -> str:
    """The worker an escalation of ``level`` goes to."""
    assert state.coordinator is not None
    if level <= 1:
        return state.coordinator.worker_id
    return state.supervisor_id or state.coordinator.worker_id


def _escalate(state: PathwayState, command: EscalateHandover, ctx: Context) -> list[Event]:
    require_live(state)
    handover = require_handover(state, command.handover_id)
    require_handover_status(handover, NEEDS_RESOLUTION, "declined or failed")
    level = handover.escalation_level + 1
    if level > MAX_ESCALATION_LEVEL:
        raise InvalidTransitionError(
            f"handover {handover.handover_id} is already escalated to the supervisor"
        )
    return [
        EscalationRaised(
            **ctx.stamp(),
            kind=None,
            subject=handover.handover_id,
            level=level,
            target_role=target_for_level(level),
            target_id=escalation_target_id(state, level),
        )
    ]


def _withdraw(state: PathwayState, command: WithdrawHandover, ctx: Context) -> list[Event]:
    require_live(state)
    handover = require_handover(state, command.handover_id)
    require_handover_status(
        handover,
        IN_FLIGHT | NEEDS_RESOLUTION | {HandoverStatus.ON_HOLD},
        "before first contact",
    )
    events: list[Event] = [
        HandoverWithdrawn(
            **ctx.stamp(), handover_id=handover.handover_id, reason_text=command.reason_text
        )
    ]
    track = handover.responsibility.track
    if track is not None:
        current = state.track(track)
        employment_under_way = (
            track is Track.EMPLOYMENT and state.employment.phase is not EmploymentPhase.NOT_STARTED
        )
        if (
            current.status is TrackStatus.ACTIVE
            and not current.service_active
            and not employment_under_way
        ):
            # The track only existed to carry this handover; the person said no to it. Not when
            # the person is enrolled or in work on it: withdrawing a handover never ends IPS or
            # follow-along support (invariant 4).
            events.append(
                TrackEnded(**ctx.stamp(), track=track, reason_code="handover_withdrawn_by_person")
            )
    return events


def _meeting(state: PathwayState, command: RecordHandoverMeeting, ctx: Context) -> list[Event]:
    require_live(state)
    handover = require_handover(state, command.handover_id)
    require_handover_status(
        handover, IN_FLIGHT | {HandoverStatus.AWAITING_MEETING}, "open for a handover meeting"
    )
    events: list[Event] = [
        HandoverMeetingHeld(
            **ctx.stamp(),
            handover_id=handover.handover_id,
            participant_roles=command.participant_roles,
            person_present=command.person_present,
        )
    ]
    if handover.status is HandoverStatus.AWAITING_MEETING:
        events.append(HandoverCompleted(**ctx.stamp(), handover_id=handover.handover_id))
    return events


def _first_contact(state: PathwayState, command: RecordFirstContact, ctx: Context) -> list[Event]:
    require_live(state)
    handover = require_handover(state, command.handover_id)
    _require_receiver(handover, command.by_org)
    require_handover_status(handover, {HandoverStatus.ACCEPTED}, "accepted")
    events: list[Event] = [
        FirstContactMade(
            **ctx.stamp(),
            handover_id=handover.handover_id,
            by_org=command.by_org,
            by_worker=command.by_worker,
        )
    ]
    if handover.responsibility is Responsibility.COORDINATION:
        assert state.coordinator is not None
        assert handover.to_worker is not None
        events.append(
            CoordinatorReassigned(
                **ctx.stamp(),
                worker_id=handover.to_worker,
                org_id=handover.to_org,
                previous_worker_id=state.coordinator.worker_id,
                via_handover_id=handover.handover_id,
            )
        )
    track = handover.responsibility.track
    events.extend(
        SupportGapClosed(
            **ctx.stamp(),
            gap_id=gap.gap_id,
            closed_by_handover_id=handover.handover_id,
            duration=ctx.now - gap.opened_at,
        )
        for gap in state.gaps.values()
        if gap.is_open and (gap.track is None or gap.track is track)
    )
    if handover.meeting_held or not handover.warm_handover_required:
        events.append(HandoverCompleted(**ctx.stamp(), handover_id=handover.handover_id))
    return events


def _outreach(state: PathwayState, command: RecordOutreachAttempt, ctx: Context) -> list[Event]:
    require_live(state)
    handover = require_handover(state, command.handover_id)
    require_handover_status(handover, {HandoverStatus.ACCEPTED}, "accepted")
    return [
        OutreachAttemptRecorded(
            **ctx.stamp(), handover_id=handover.handover_id, channel=command.channel
        )
    ]


def _fail(state: PathwayState, command: FailHandover, ctx: Context) -> list[Event]:
    require_live(state)
    handover = require_handover(state, command.handover_id)
    require_handover_status(handover, {HandoverStatus.ACCEPTED}, "accepted")
    needed = ctx.template.outreach_attempts_before_failure
    if handover.outreach_attempts < needed:
        raise InvalidTransitionError(
            f"handover {handover.handover_id} has {handover.outreach_attempts} outreach "
            f"attempt(s); {needed} are required before it can fail"
        )
    return [
        HandoverFailed(
            **ctx.stamp(), handover_id=handover.handover_id, reason_code=command.reason_code
        )
    ]


def _resume(state: PathwayState, command: ResumeHandover, ctx: Context) -> list[Event]:
    require_live(state)
    handover = require_handover(state, command.handover_id)
    require_handover_status(handover, {HandoverStatus.ON_HOLD}, "on hold")
    if handover.hold_reason is HoldReason.READMITTED:
        raise InvalidTransitionError(
            f"handover {handover.handover_id} is on hold for a readmission; it resumes at discharge"
        )
    consent = next(
        (
            c
            for c in sorted(state.consents.values(), key=lambda c: c.consent_id)
            if c.recipient_org == handover.to_org
            and c.purpose is Purpose.HANDOVER
            and c.is_active(ctx.now)
        ),
        None,
    )
    if consent is None:
        raise ConsentRequiredError(
            f"handover {handover.handover_id} needs an active handover consent for "
            f"{handover.to_org} before it can resume"
        )
    return [
        HandoverResumed(
            **ctx.stamp(), handover_id=handover.handover_id, consent_id=consent.consent_id
        )
    ]


DECIDERS: dict[type, Decider] = {
    RequestHandover: _request,
    AcknowledgeHandover: _acknowledge,
    AcceptHandover: _accept,
    DeclineHandover: _decline,
    RedirectHandover: _redirect,
    EscalateHandover: _escalate,
    WithdrawHandover: _withdraw,
    RecordHandoverMeeting: _meeting,
    RecordFirstContact: _first_contact,
    RecordOutreachAttempt: _outreach,
    FailHandover: _fail,
    ResumeHandover: _resume,
}

# --- evolve -------------------------------------------------------------------------------------


def _put(state: PathwayState, handover: Handover) -> PathwayState:
    return state.model_copy(
        update={"handovers": replace_item(state.handovers, handover.handover_id, handover)}
    )


def _update(state: PathwayState, handover_id: str, **changes: object) -> PathwayState:
    return _put(state, state.handovers[handover_id].model_copy(update=changes))


def _requested(state: PathwayState, event: HandoverRequested) -> PathwayState:
    handover = Handover(
        handover_id=event.handover_id,
        responsibility=event.responsibility,
        from_org=event.from_org,
        to_org=event.to_org,
        to_worker=event.to_worker,
        route_id=event.route_id,
        consent_id=event.consent_id,
        warm_handover_required=event.warm_handover_required,
        requested_at=event.occurred_at,
        redirected_from=event.redirected_from,
    )
    return _put(state, handover)


def _acknowledged(state: PathwayState, event: HandoverAcknowledged) -> PathwayState:
    return _update(
        state,
        event.handover_id,
        status=HandoverStatus.ACKNOWLEDGED,
        acknowledged_at=event.occurred_at,
    )


def _accepted(state: PathwayState, event: HandoverAccepted) -> PathwayState:
    return _update(
        state, event.handover_id, status=HandoverStatus.ACCEPTED, accepted_at=event.occurred_at
    )


def _declined(state: PathwayState, event: HandoverDeclined) -> PathwayState:
    return _update(
        state,
        event.handover_id,
        status=HandoverStatus.DECLINED,
        decline_reason=event.reason_code,
        resolution_started_at=event.occurred_at,
    )


def _redirected(state: PathwayState, event: HandoverRedirected) -> PathwayState:
    return _update(
        state,
        event.handover_id,
        status=HandoverStatus.REDIRECTED,
        redirected_to=event.new_handover_id,
    )


def _withdrawn(state: PathwayState, event: HandoverWithdrawn) -> PathwayState:
    return _update(state, event.handover_id, status=HandoverStatus.WITHDRAWN)


def _on_hold(state: PathwayState, event: HandoverPutOnHold) -> PathwayState:
    handover = state.handovers[event.handover_id]
    return _update(
        state,
        event.handover_id,
        status=HandoverStatus.ON_HOLD,
        status_before_hold=handover.status,
        hold_reason=event.reason,
        holds=(*handover.holds, Interval(start=event.occurred_at)),
    )


def _resumed(state: PathwayState, event: HandoverResumed) -> PathwayState:
    handover = state.handovers[event.handover_id]
    holds = handover.holds
    if holds and holds[-1].end is None:
        holds = (*holds[:-1], holds[-1].model_copy(update={"end": event.occurred_at}))
    changes: dict[str, object] = {
        "status": handover.status_before_hold or HandoverStatus.REQUESTED,
        "status_before_hold": None,
        "hold_reason": None,
        "holds": holds,
    }
    if event.consent_id is not None:
        changes["consent_id"] = event.consent_id
    return _update(state, event.handover_id, **changes)


def _meeting_held(state: PathwayState, event: HandoverMeetingHeld) -> PathwayState:
    return _update(state, event.handover_id, meeting_held=True)


def _first_contact_made(state: PathwayState, event: FirstContactMade) -> PathwayState:
    handover = state.handovers[event.handover_id]
    state = _update(
        state,
        event.handover_id,
        status=HandoverStatus.AWAITING_MEETING,
        first_contact_at=event.occurred_at,
    )
    track = handover.responsibility.track
    if track is None:
        return state
    # Responsibility moves only now: the receiver has accepted and made first contact.
    moved = state.track(track).model_copy(
        update={
            "status": TrackStatus.ACTIVE,
            "responsible_org": handover.to_org,
            "service_active": True,
            "held_for_handover": None,
        }
    )
    return state.model_copy(update={"tracks": replace_item(state.tracks, track, moved)})


def _completed(state: PathwayState, event: HandoverCompleted) -> PathwayState:
    return _update(
        state, event.handover_id, status=HandoverStatus.COMPLETED, completed_at=event.occurred_at
    )


def _outreach_recorded(state: PathwayState, event: OutreachAttemptRecorded) -> PathwayState:
    handover = state.handovers[event.handover_id]
    return _update(state, event.handover_id, outreach_attempts=handover.outreach_attempts + 1)


def _failed(state: PathwayState, event: HandoverFailed) -> PathwayState:
    return _update(
        state,
        event.handover_id,
        status=HandoverStatus.FAILED,
        fail_reason=event.reason_code,
        resolution_started_at=event.occurred_at,
    )


APPLIERS: dict[type, Applier] = {
    HandoverRequested: _requested,
    HandoverAcknowledged: _acknowledged,
    HandoverAccepted: _accepted,
    HandoverDeclined: _declined,
    HandoverRedirected: _redirected,
    HandoverWithdrawn: _withdrawn,
    HandoverPutOnHold: _on_hold,
    HandoverResumed: _resumed,
    HandoverMeetingHeld: _meeting_held,
    FirstContactMade: _first_contact_made,
    HandoverCompleted: _completed,
    OutreachAttemptRecorded: _outreach_recorded,
    HandoverFailed: _failed,
}
