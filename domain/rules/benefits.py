"""Benefit, status and funding rules.

A status change (early retirement, invalidity) never ends the employment track by itself: it
raises a required decision that records the person's wish (R-10). A funding end raises a review
task; the support relationship continues whatever the review decides.
"""

from __future__ import annotations

from domain.benefits import (
    STATUS_CHANGING,
    BenefitDecision,
    ContinuationPending,
    FundingOutcome,
    FundingPeriod,
)
from domain.commands import (
    DecideEmploymentContinuation,
    RecordBenefitDecision,
    RecordFundingPeriod,
    ReviewFunding,
)
from domain.deadline_keys import clear_escalation
from domain.errors import (
    DuplicateEntityError,
    InvalidCommandError,
    InvalidTransitionError,
    UnknownEntityError,
)
from domain.escalation import DeadlineKind
from domain.events import (
    BenefitDecisionRecorded,
    EmploymentContinuationDecisionRequired,
    EmploymentTrackContinuationDecided,
    Event,
    FundingPeriodRecorded,
    FundingReviewed,
    TrackEnded,
    TrackStarted,
)
from domain.rules.context import Applier, Context, Decider, replace_item
from domain.rules.guards import require_live
from domain.rules.pathway import gap_closings_for_track_end
from domain.state import PathwayState
from domain.tracks import Track, TrackStatus

CONTINUATION_DECLINED = "person_no_longer_wants_work"

# --- decide -------------------------------------------------------------------------------------


def _benefit(state: PathwayState, command: RecordBenefitDecision, ctx: Context) -> list[Event]:
    require_live(state)
    events: list[Event] = []
    if state.track(Track.INCOME).status is not TrackStatus.ACTIVE:
        events.append(
            TrackStarted(**ctx.stamp(), track=Track.INCOME, responsible_org=command.authority_org)
        )
    decision_id = ctx.new_local_id("b")
    events.append(
        BenefitDecisionRecorded(
            **ctx.stamp(),
            decision_id=decision_id,
            kind=command.kind,
            authority_org=command.authority_org,
            valid_until=command.valid_until,
        )
    )
    if (
        command.kind in STATUS_CHANGING
        and state.track(Track.EMPLOYMENT).status is TrackStatus.ACTIVE
    ):
        events.append(
            EmploymentContinuationDecisionRequired(
                **ctx.stamp(), decision_id=decision_id, kind=command.kind
            )
        )
    return events


def _continuation(
    state: PathwayState, command: DecideEmploymentContinuation, ctx: Context
) -> list[Event]:
    require_live(state)
    pending = state.continuation_pending
    if pending is None:
        raise InvalidTransitionError(
            f"pathway {state.pathway_id} has no status change awaiting an employment decision"
        )
    events: list[Event] = [
        EmploymentTrackContinuationDecided(
            **ctx.stamp(),
            decision_id=pending.decision_id,
            continue_track=command.continue_track,
            person_wish=command.person_wish,
            decided_by_role=command.decided_by_role,
        )
    ]
    if not command.continue_track and state.track(Track.EMPLOYMENT).status is TrackStatus.ACTIVE:
        open_handover = state.open_handover_for(Track.EMPLOYMENT.value)
        if open_handover is not None:
            raise InvalidTransitionError(
                f"employment handover {open_handover.handover_id} is still open; "
                "withdraw it before ending the track"
            )
        events.extend(gap_closings_for_track_end(state, Track.EMPLOYMENT, ctx))
        events.append(
            TrackEnded(**ctx.stamp(), track=Track.EMPLOYMENT, reason_code=CONTINUATION_DECLINED)
        )
    return events


def _funding(state: PathwayState, command: RecordFundingPeriod, ctx: Context) -> list[Event]:
    require_live(state)
    if command.ends_at <= ctx.now:
        raise InvalidCommandError("a funding period must end in the future")
    funding_id = command.funding_id or ctx.new_local_id("f")
    if funding_id in state.funding:
        raise DuplicateEntityError(f"pathway {state.pathway_id} already has funding {funding_id}")
    return [
        FundingPeriodRecorded(
            **ctx.stamp(),
            funding_id=funding_id,
            funder_org=command.funder_org,
            track=command.track,
            ends_at=command.ends_at,
        )
    ]


def _review(state: PathwayState, command: ReviewFunding, ctx: Context) -> list[Event]:
    require_live(state)
    funding = state.funding.get(command.funding_id)
    if funding is None:
        raise UnknownEntityError(f"pathway {state.pathway_id} has no funding {command.funding_id}")
    if funding.reviewed:
        raise InvalidTransitionError(f"funding {funding.funding_id} is already reviewed")
    if command.outcome is FundingOutcome.EXTENDED:
        if command.new_ends_at is None or command.new_ends_at <= funding.ends_at:
            raise InvalidCommandError("an extension names a new end after the current one")
    elif command.new_ends_at is not None:
        raise InvalidCommandError("only an extension names a new end")
    return [
        FundingReviewed(
            **ctx.stamp(),
            funding_id=funding.funding_id,
            outcome=command.outcome,
            new_ends_at=command.new_ends_at,
        )
    ]


DECIDERS: dict[type, Decider] = {
    RecordBenefitDecision: _benefit,
    DecideEmploymentContinuation: _continuation,
    RecordFundingPeriod: _funding,
    ReviewFunding: _review,
}

# --- evolve -------------------------------------------------------------------------------------


def _recorded(state: PathwayState, event: BenefitDecisionRecorded) -> PathwayState:
    decision = BenefitDecision(
        decision_id=event.decision_id,
        kind=event.kind,
        authority_org=event.authority_org,
        recorded_at=event.occurred_at,
        valid_until=event.valid_until,
    )
    return state.model_copy(update={"benefits": (*state.benefits, decision)})


def _required(state: PathwayState, event: EmploymentContinuationDecisionRequired) -> PathwayState:
    pending = ContinuationPending(
        decision_id=event.decision_id, kind=event.kind, required_since=event.occurred_at
    )
    return state.model_copy(update={"continuation_pending": pending})


def _decided(state: PathwayState, event: EmploymentTrackContinuationDecided) -> PathwayState:
    return state.model_copy(update={"continuation_pending": None})


def _funding_recorded(state: PathwayState, event: FundingPeriodRecorded) -> PathwayState:
    funding = FundingPeriod(
        funding_id=event.funding_id,
        funder_org=event.funder_org,
        track=event.track,
        ends_at=event.ends_at,
    )
    return state.model_copy(
        update={"funding": replace_item(state.funding, funding.funding_id, funding)}
    )


def _reviewed(state: PathwayState, event: FundingReviewed) -> PathwayState:
    funding = state.funding[event.funding_id]
    if event.new_ends_at is not None:
        funding = funding.model_copy(update={"ends_at": event.new_ends_at})
    else:
        funding = funding.model_copy(update={"reviewed": True})
    state = clear_escalation(state, DeadlineKind.FUNDING_REVIEW, funding.funding_id)
    return state.model_copy(
        update={"funding": replace_item(state.funding, funding.funding_id, funding)}
    )


APPLIERS: dict[type, Applier] = {
    BenefitDecisionRecorded: _recorded,
    EmploymentContinuationDecisionRequired: _required,
    EmploymentTrackContinuationDecided: _decided,
    FundingPeriodRecorded: _funding_recorded,
    FundingReviewed: _reviewed,
}
