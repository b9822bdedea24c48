"""Clinical rules: admission, readmission (pause, never reset), discharge and its follow-up."""

from __future__ import annotations

from domain.commands import RecordAdmission, RecordDischarge, RecordDischargeFollowUp
from domain.errors import InvalidTransitionError
from domain.events import (
    DischargeFollowUpMade,
    Event,
    HandoverPutOnHold,
    HandoverResumed,
    PathwayPaused,
    PathwayResumed,
    PersonAdmitted,
    PersonDischarged,
    PersonReadmitted,
    SupportGapBridged,
    SupportGapOpened,
    TrackStarted,
)
from domain.gaps import BridgeRole, GapTrigger
from domain.handover import IN_FLIGHT, HandoverStatus, HoldReason
from domain.rules.context import Applier, Context, Decider
from domain.rules.guards import require_live
from domain.state import ClinicalPhase, Discharge, PathwayState, PathwayStatus, PauseReason
from domain.tracks import Track, TrackStatus

# --- decide -------------------------------------------------------------------------------------


def _admission(state: PathwayState, command: RecordAdmission, ctx: Context) -> list[Event]:
    require_live(state)
    if state.clinical.phase is ClinicalPhase.INPATIENT:
        raise InvalidTransitionError(f"pathway {state.pathway_id}: the person is already inpatient")
    events: list[Event] = []
    if state.track(Track.CLINICAL).status is not TrackStatus.ACTIVE:
        events.append(
            TrackStarted(**ctx.stamp(), track=Track.CLINICAL, responsible_org=command.hospital_org)
        )
    if state.clinical.last_discharge is None:
        events.append(
            PersonAdmitted(
                **ctx.stamp(), hospital_org=command.hospital_org, ward_type=command.ward_type
            )
        )
        return events
    # A readmission pauses the pathway and its handovers; coordinator, plan and history stay.
    events.append(
        PersonReadmitted(
            **ctx.stamp(), hospital_org=command.hospital_org, ward_type=command.ward_type
        )
    )
    if state.status is PathwayStatus.ACTIVE:
        events.append(PathwayPaused(**ctx.stamp(), reason=PauseReason.READMISSION))
    events.extend(
        HandoverPutOnHold(**ctx.stamp(), handover_id=h.handover_id, reason=HoldReason.READMITTED)
        for h in sorted(state.handovers.values(), key=lambda h: h.requested_at)
        if h.status in IN_FLIGHT
    )
    return events


def _discharge(state: PathwayState, command: RecordDischarge, ctx: Context) -> list[Event]:
    require_live(state)
    if state.clinical.phase is not ClinicalPhase.INPATIENT:
        raise InvalidTransitionError(f"pathway {state.pathway_id}: the person is not inpatient")
    events: list[Event] = [
        PersonDischarged(
            **ctx.stamp(),
            discharge_id=ctx.new_local_id("d"),
            suicide_risk_identified=command.suicide_risk_identified,
        )
    ]
    if state.status is PathwayStatus.PAUSED and state.pause_reason is PauseReason.READMISSION:
        events.append(PathwayResumed(**ctx.stamp()))
        events.extend(
            HandoverResumed(**ctx.stamp(), handover_id=h.handover_id)
            for h in sorted(state.handovers.values(), key=lambda h: h.requested_at)
            if h.status is HandoverStatus.ON_HOLD and h.hold_reason is HoldReason.READMITTED
        )
    events.append(
        SupportGapOpened(
            **ctx.stamp(), gap_id=ctx.new_local_id("g"), trigger=GapTrigger.DISCHARGE, track=None
        )
    )
    return events


def _follow_up(state: PathwayState, command: RecordDischargeFollowUp, ctx: Context) -> list[Event]:
    require_live(state)
    discharge = state.clinical.last_discharge
    if (
        discharge is None
        or discharge.followed_up_at is not None
        or state.clinical.phase is ClinicalPhase.INPATIENT
    ):
        raise InvalidTransitionError(
            f"pathway {state.pathway_id} has no discharge awaiting its follow-up contact"
        )
    events: list[Event] = [
        DischargeFollowUpMade(
            **ctx.stamp(), discharge_id=discharge.discharge_id, by_org=command.by_org
        )
    ]
    # The follow-up contact also bridges the discharge gap (it does not close it: only the
    # start of a receiving service does, R-03).
    events.extend(
        SupportGapBridged(**ctx.stamp(), gap_id=gap.gap_id, by_role=BridgeRole.CLINICAL)
        for gap in state.gaps.values()
        if gap.is_open and gap.trigger is GapTrigger.DISCHARGE
    )
    return events


DECIDERS: dict[type, Decider] = {
    RecordAdmission: _admission,
    RecordDischarge: _discharge,
    RecordDischargeFollowUp: _follow_up,
}

# --- evolve -------------------------------------------------------------------------------------


def _admitted(state: PathwayState, event: PersonAdmitted | PersonReadmitted) -> PathwayState:
    clinical = state.clinical.model_copy(
        update={
            "phase": ClinicalPhase.INPATIENT,
            "hospital_org": event.hospital_org,
            "admissions": state.clinical.admissions + 1,
        }
    )
    return state.model_copy(update={"clinical": clinical})


def _discharged(state: PathwayState, event: PersonDischarged) -> PathwayState:
    discharge = Discharge(
        discharge_id=event.discharge_id,
        discharged_at=event.occurred_at,
        suicide_risk_identified=event.suicide_risk_identified,
    )
    clinical = state.clinical.model_copy(
        update={"phase": ClinicalPhase.DISCHARGED_AWAITING_FOLLOW_UP, "last_discharge": discharge}
    )
    return state.model_copy(update={"clinical": clinical})


def _followed_up(state: PathwayState, event: DischargeFollowUpMade) -> PathwayState:
    discharge = state.clinical.last_discharge
    assert discharge is not None
    clinical = state.clinical.model_copy(
        update={
            "phase": ClinicalPhase.COMMUNITY,
            "last_discharge": discharge.model_copy(update={"followed_up_at": event.occurred_at}),
        }
    )
    return state.model_copy(update={"clinical": clinical})


APPLIERS: dict[type, Applier] = {
    PersonAdmitted: _admitted,
    PersonReadmitted: _admitted,
    PersonDischarged: _discharged,
    DischargeFollowUpMade: _followed_up,
}
