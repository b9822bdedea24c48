"""Discharge clocks, readmission pausing (never resetting), gaps and the IPS clocks."""

from __future__ import annotations

from datetime import timedelta

from domain import next_deadlines
from domain.commands import (
    AcceptHandover,
    BridgeSupportGap,
    EnrolInIps,
    RecordAdmission,
    RecordDischarge,
    RecordDischargeFollowUp,
    RecordEmployerContact,
    RecordFirstContact,
    RecordFundingPeriod,
    RequestHandover,
)
from domain.deadlines import Deadline
from domain.escalation import DeadlineKind
from domain.events import HandoverRequested, SupportGapClosed, SupportGapOpened
from domain.gaps import BridgeRole
from domain.handover import HandoverStatus, HoldReason
from domain.state import PathwayStatus, PauseReason
from domain.tracks import Responsibility, Track
from tests.unit.domain.support import Harness, only


def deadline(h: Harness, kind: DeadlineKind) -> Deadline:
    (found,) = [d for d in next_deadlines(h.state, h.template) if d.kind is kind]
    return found


def admitted_and_discharged(template: str = "nl", *, suicide_risk: bool = False) -> Harness:
    h = Harness(template)
    h.open(clinical="org-hospital")
    h.do(RecordAdmission(actor="ward", hospital_org="org-hospital", ward_type="acute"))
    h.advance(timedelta(days=10))
    h.do(RecordDischarge(actor="ward", suicide_risk_identified=suicide_risk))
    return h


def test_uk_discharge_follow_up_is_due_within_72_hours() -> None:
    h = admitted_and_discharged("uk")
    assert deadline(h, DeadlineKind.DISCHARGE_FOLLOW_UP).due_at == h.now + timedelta(hours=72)


def test_discharge_follow_up_defaults_to_7_days_where_no_standard_exists() -> None:
    h = admitted_and_discharged("dk")
    assert deadline(h, DeadlineKind.DISCHARGE_FOLLOW_UP).due_at == h.now + timedelta(days=7)


def test_a_suicide_risk_shortens_the_follow_up_to_48_hours() -> None:
    h = admitted_and_discharged("nl", suicide_risk=True)
    assert deadline(h, DeadlineKind.DISCHARGE_FOLLOW_UP).due_at == h.now + timedelta(hours=48)


def test_the_follow_up_contact_stops_the_clock_and_bridges_the_gap() -> None:
    h = admitted_and_discharged("uk")
    h.do(RecordDischargeFollowUp(actor="cmht", by_org="org-cmht"))
    kinds = {d.kind for d in next_deadlines(h.state, h.template)}
    assert DeadlineKind.DISCHARGE_FOLLOW_UP not in kinds
    (gap,) = h.state.gaps.values()
    assert gap.bridges == 1
    assert gap.is_open


def test_discharge_opens_a_gap_that_the_next_first_contact_closes_with_its_duration() -> None:
    h = admitted_and_discharged()
    gap_id = next(iter(h.state.gaps))
    hid = only(
        h.do(
            RequestHandover(
                actor="cw-1",
                responsibility=Responsibility.SOCIAL,
                from_org="org-hospital",
                to_org="org-gemeente",
            )
        ),
        HandoverRequested,
    ).handover_id
    h.do(AcceptHandover(actor="g", handover_id=hid, by_org="org-gemeente"))
    h.advance(timedelta(days=3))
    h.do(BridgeSupportGap(actor="peer", gap_id=gap_id, by_role=BridgeRole.PEER_SUPPORTER))
    h.advance(timedelta(days=2))
    closed = only(
        h.do(RecordFirstContact(actor="g", handover_id=hid, by_org="org-gemeente")),
        SupportGapClosed,
    )
    assert closed.duration == timedelta(days=5)
    assert not h.state.gaps[gap_id].is_open


def test_readmission_pauses_clocks_holds_handovers_and_keeps_the_coordinator() -> None:
    h = admitted_and_discharged()
    hid = only(
        h.do(
            RequestHandover(
                actor="cw-1",
                responsibility=Responsibility.SOCIAL,
                from_org="org-hospital",
                to_org="org-gemeente",
            )
        ),
        HandoverRequested,
    ).handover_id
    accept_due = deadline(h, DeadlineKind.HANDOVER_ACCEPT).due_at
    h.advance(timedelta(days=1))
    h.do(RecordAdmission(actor="ward", hospital_org="org-hospital", ward_type="crisis"))
    assert h.state.status is PathwayStatus.PAUSED
    assert h.state.pause_reason is PauseReason.READMISSION
    assert h.state.handovers[hid].status is HandoverStatus.ON_HOLD
    assert h.state.handovers[hid].hold_reason is HoldReason.READMITTED
    assert h.state.coordinator is not None
    assert h.state.coordinator.worker_id == "cw-1"
    assert next_deadlines(h.state, h.template) == []  # every clock stands still
    h.advance(timedelta(days=6))
    h.do(RecordDischarge(actor="ward"))
    after = h.state  # a fresh name: mypy must not carry the narrowing across the command
    assert after.status is PathwayStatus.ACTIVE
    assert after.handovers[hid].status is HandoverStatus.REQUESTED
    # Six paused days do not count: the accept deadline moved by exactly that much.
    assert deadline(h, DeadlineKind.HANDOVER_ACCEPT).due_at == accept_due + timedelta(days=6)
    assert len([e for e in h.events if isinstance(e, SupportGapOpened)]) == 2


def test_a_funding_review_falls_due_ahead_of_the_end_and_ignores_pauses() -> None:
    h = admitted_and_discharged()
    ends = h.now + timedelta(days=365)
    h.do(
        RecordFundingPeriod(
            actor="cw-1", funder_org="org-uwv", track=Track.EMPLOYMENT, ends_at=ends
        )
    )
    h.do(RecordAdmission(actor="ward", hospital_org="org-hospital", ward_type="crisis"))
    (review,) = next_deadlines(h.state, h.template)
    assert review.kind is DeadlineKind.FUNDING_REVIEW
    assert review.due_at == ends - timedelta(days=60)


def test_thirty_days_without_an_employer_contact_after_ips_entry_is_flagged() -> None:
    h = Harness()
    h.open(clinical="org-ggz")
    h.do(EnrolInIps(actor="es-1", ips_org="org-ips", specialist_id="es-1"))
    ips = deadline(h, DeadlineKind.IPS_FIRST_EMPLOYER_CONTACT)
    assert ips.due_at == h.now + timedelta(days=30)
    h.advance(timedelta(days=30))
    events = h.do(ips.as_command())
    assert [type(e).__name__ for e in events] == ["DeadlineMissed", "EscalationRaised"]
    h.do(RecordEmployerContact(actor="es-1", employer_id="emp-1"))
    kinds = {d.kind for d in next_deadlines(h.state, h.template)}
    assert DeadlineKind.IPS_FIRST_EMPLOYER_CONTACT not in kinds
