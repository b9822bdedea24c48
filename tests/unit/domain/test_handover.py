"""Closed-loop handovers: the sender stays responsible until first contact; declines never end."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import next_deadlines
from domain.commands import (
    AcceptHandover,
    AcknowledgeHandover,
    DeclineHandover,
    EscalateHandover,
    FailHandover,
    MarkDeadlineMissed,
    RecordFirstContact,
    RecordHandoverMeeting,
    RecordOutreachAttempt,
    RedirectHandover,
    RequestHandover,
    WithdrawHandover,
)
from domain.errors import (
    DeadlineNotDueError,
    ForbiddenReasonError,
    InvalidTransitionError,
    NotResponsibleError,
)
from domain.escalation import DeadlineKind, EscalationTarget
from domain.events import (
    CoordinatorReassigned,
    EscalationRaised,
    HandoverCompleted,
    HandoverRequested,
    TrackStarted,
)
from domain.handover import DeclineReason, FailReason, HandoverStatus, fhir_task_status
from domain.tracks import Responsibility, Track, TrackStatus
from tests.unit.domain.support import Harness, only, warm_meeting


def request_social(h: Harness, to_org: str = "org-gemeente") -> str:
    events = h.do(
        RequestHandover(
            actor="cw-1",
            responsibility=Responsibility.SOCIAL,
            from_org="org-hospital",
            to_org=to_org,
            route_id="discharge_to_municipality",
        )
    )
    return only(events, HandoverRequested).handover_id


def test_a_handover_to_a_new_track_starts_it_held_by_the_sender() -> None:
    h = Harness()
    h.open(clinical="org-hospital")
    events = h.do(
        RequestHandover(
            actor="cw-1",
            responsibility=Responsibility.SOCIAL,
            from_org="org-hospital",
            to_org="org-gemeente",
        )
    )
    started = only(events, TrackStarted)
    assert started.responsible_org == "org-hospital"
    assert h.state.track(Track.SOCIAL).responsible_org == "org-hospital"
    assert not h.state.track(Track.SOCIAL).service_active


def test_the_sender_stays_responsible_until_the_receivers_first_contact() -> None:
    h = Harness()
    h.open(clinical="org-hospital")
    hid = request_social(h)
    h.do(AcknowledgeHandover(actor="org-gemeente", handover_id=hid, by_org="org-gemeente"))
    h.do(AcceptHandover(actor="org-gemeente", handover_id=hid, by_org="org-gemeente"))
    assert h.state.track(Track.SOCIAL).responsible_org == "org-hospital"
    h.do(RecordFirstContact(actor="w-9", handover_id=hid, by_org="org-gemeente"))
    assert h.state.track(Track.SOCIAL).responsible_org == "org-gemeente"
    assert h.state.track(Track.SOCIAL).service_active


def test_a_warm_handover_completes_only_after_its_meeting() -> None:
    h = Harness()
    h.open(clinical="org-hospital")
    hid = request_social(h)  # the NL discharge route requires a warm handover
    h.do(AcceptHandover(actor="org-gemeente", handover_id=hid, by_org="org-gemeente"))
    events = h.do(RecordFirstContact(actor="w-9", handover_id=hid, by_org="org-gemeente"))
    assert not any(isinstance(e, HandoverCompleted) for e in events)
    assert h.state.handovers[hid].status is HandoverStatus.AWAITING_MEETING
    assert fhir_task_status(h.state.handovers[hid].status) == "in-progress"
    events = h.do(warm_meeting(hid))
    only(events, HandoverCompleted)
    assert h.state.handovers[hid].status is HandoverStatus.COMPLETED


def test_only_the_receiver_may_accept() -> None:
    h = Harness()
    h.open(clinical="org-hospital")
    hid = request_social(h)
    with pytest.raises(NotResponsibleError, match="was sent to org-gemeente, not org-other"):
        h.do(AcceptHandover(actor="x", handover_id=hid, by_org="org-other"))


def test_a_declined_handover_cannot_be_accepted_and_the_error_says_why() -> None:
    h = Harness()
    h.open(clinical="org-hospital")
    hid = request_social(h)
    h.do(
        DeclineHandover(
            actor="org-gemeente",
            handover_id=hid,
            by_org="org-gemeente",
            reason_code=DeclineReason.OUT_OF_AREA,
        )
    )
    with pytest.raises(
        InvalidTransitionError,
        match=rf"handover {hid} is not awaiting acceptance \(status: declined\)",
    ):
        h.do(AcceptHandover(actor="org-gemeente", handover_id=hid, by_org="org-gemeente"))


def test_a_declined_handover_is_redirected_and_the_sender_still_holds_the_track() -> None:
    h = Harness()
    h.open(clinical="org-hospital")
    hid = request_social(h)
    h.do(
        DeclineHandover(
            actor="org-gemeente",
            handover_id=hid,
            by_org="org-gemeente",
            reason_code=DeclineReason.NO_CAPACITY,
        )
    )
    events = h.do(RedirectHandover(actor="cw-1", handover_id=hid, to_org="org-gemeente-2"))
    new = only(events, HandoverRequested)
    assert new.redirected_from == hid
    assert new.from_org == "org-hospital"
    assert new.warm_handover_required
    assert h.state.handovers[hid].status is HandoverStatus.REDIRECTED
    assert h.state.track(Track.SOCIAL).responsible_org == "org-hospital"


def test_an_unresolved_decline_escalates_to_the_coordinator_then_the_supervisor() -> None:
    h = Harness()
    h.open(clinical="org-hospital")
    hid = request_social(h)
    h.do(
        DeclineHandover(
            actor="org-gemeente",
            handover_id=hid,
            by_org="org-gemeente",
            reason_code=DeclineReason.NO_CAPACITY,
        )
    )
    (deadline,) = [d for d in next_deadlines(h.state, h.template) if d.subject == hid]
    assert deadline.kind is DeadlineKind.HANDOVER_RESOLUTION
    assert deadline.due_at == h.now + timedelta(days=2)
    h.advance(timedelta(days=2))
    first = only(h.do(deadline.as_command()), EscalationRaised)
    assert (first.level, first.target_role, first.target_id) == (
        1,
        EscalationTarget.COORDINATOR,
        "cw-1",
    )
    (second_deadline,) = [d for d in next_deadlines(h.state, h.template) if d.subject == hid]
    assert second_deadline.escalation_level == 2
    h.advance(timedelta(days=2))
    second = only(h.do(second_deadline.as_command()), EscalationRaised)
    assert (second.target_role, second.target_id) == (EscalationTarget.SUPERVISOR, "sup-1")
    assert [d for d in next_deadlines(h.state, h.template) if d.subject == hid] == []
    assert h.state.handovers[hid].status is HandoverStatus.DECLINED  # never just ends


def test_an_unacknowledged_handover_escalates_and_a_late_timer_is_harmless() -> None:
    h = Harness()
    h.open(clinical="org-hospital")
    hid = request_social(h)
    h.advance(timedelta(hours=23))
    with pytest.raises(DeadlineNotDueError):
        h.do(
            MarkDeadlineMissed(
                actor="system",
                kind=DeadlineKind.HANDOVER_ACKNOWLEDGE,
                subject=hid,
                escalation_level=1,
            )
        )
    h.advance(timedelta(hours=1))
    missed = MarkDeadlineMissed(
        actor="system", kind=DeadlineKind.HANDOVER_ACKNOWLEDGE, subject=hid, escalation_level=1
    )
    assert len(h.do(missed)) == 2
    h.do(AcknowledgeHandover(actor="org-gemeente", handover_id=hid, by_org="org-gemeente"))
    assert h.do(missed) == []  # the timer fired again after the step happened: nothing


def test_an_employment_handover_cannot_be_declined_as_not_job_ready() -> None:
    h = Harness()
    h.open(clinical="org-ggz")
    events = h.do(
        RequestHandover(
            actor="cw-1",
            responsibility=Responsibility.EMPLOYMENT,
            from_org="org-ggz",
            to_org="org-ips",
        )
    )
    hid = only(events, HandoverRequested).handover_id
    with pytest.raises(ForbiddenReasonError, match="zero exclusion"):
        h.do(
            DeclineHandover(
                actor="org-ips",
                handover_id=hid,
                by_org="org-ips",
                reason_code=DeclineReason.NOT_JOB_READY,
            )
        )


def test_a_handover_fails_only_after_the_templates_outreach_attempts() -> None:
    h = Harness()
    h.open(clinical="org-hospital")
    hid = request_social(h)
    h.do(AcceptHandover(actor="org-gemeente", handover_id=hid, by_org="org-gemeente"))
    fail = FailHandover(
        actor="org-gemeente", handover_id=hid, reason_code=FailReason.NO_CONTACT_AFTER_OUTREACH
    )
    h.do(RecordOutreachAttempt(actor="org-gemeente", handover_id=hid, channel="phone"))
    with pytest.raises(InvalidTransitionError, match="3 are required"):
        h.do(fail)
    h.do(RecordOutreachAttempt(actor="org-gemeente", handover_id=hid, channel="home_visit"))
    h.do(RecordOutreachAttempt(actor="org-gemeente", handover_id=hid, channel="letter"))
    h.do(fail)
    assert h.state.handovers[hid].unresolved
    h.do(EscalateHandover(actor="cw-1", handover_id=hid))
    assert not h.state.handovers[hid].unresolved


def test_the_person_can_withdraw_before_first_contact() -> None:
    h = Harness()
    h.open(clinical="org-hospital")
    hid = request_social(h)
    h.do(WithdrawHandover(actor="person", handover_id=hid, reason_text="I'd rather not"))
    assert h.state.handovers[hid].status is HandoverStatus.WITHDRAWN
    assert h.state.track(Track.SOCIAL).status is TrackStatus.ENDED


def test_only_one_open_handover_per_track() -> None:
    h = Harness()
    h.open(clinical="org-hospital")
    request_social(h)
    with pytest.raises(InvalidTransitionError, match="is still open"):
        request_social(h, to_org="org-other")


def test_coordinator_reassignment_is_a_handover_completed_by_the_introduction() -> None:
    h = Harness()
    h.open(clinical="org-hospital")
    events = h.do(
        RequestHandover(
            actor="cw-1",
            responsibility=Responsibility.COORDINATION,
            from_org="org-coord",
            to_org="org-coord",
            to_worker="cw-2",
            route_id="coordinator_change",
        )
    )
    hid = only(events, HandoverRequested).handover_id
    h.do(AcceptHandover(actor="cw-2", handover_id=hid, by_org="org-coord"))
    assert h.state.coordinator is not None
    assert h.state.coordinator.worker_id == "cw-1"
    h.do(
        RecordHandoverMeeting(
            actor="cw-1", handover_id=hid, participant_roles=("cw",), person_present=True
        )
    )
    events = h.do(RecordFirstContact(actor="cw-2", handover_id=hid, by_org="org-coord"))
    only(events, CoordinatorReassigned)
    only(events, HandoverCompleted)
    assert h.state.coordinator.worker_id == "cw-2"
    assert h.state.coordinator_changes == 1
