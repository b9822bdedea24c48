"""Property tests: random valid and invalid command sequences never break the invariants.

Each example opens a pathway on the ``fast`` template, then issues random commands while a fake
clock moves on by random seconds. After every command it does what the workflow does: it reports
every due deadline as missed. Then it checks the promises of DESIGN.md.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import DomainError, due_deadlines, fold, invariant_violations
from domain.benefits import BenefitKind
from domain.commands import (
    AcceptHandover,
    AcknowledgeHandover,
    BridgeSupportGap,
    ClosePathway,
    Command,
    DecideEmploymentContinuation,
    DeclineHandover,
    DeclineJobOffer,
    EndFollowAlong,
    EndJob,
    EndTrack,
    EnrolInIps,
    EscalateHandover,
    FailHandover,
    GrantConsent,
    MarkDeadlineMissed,
    PausePathway,
    RecordAdmission,
    RecordBenefitDecision,
    RecordDischarge,
    RecordDischargeFollowUp,
    RecordEmployerContact,
    RecordFirstContact,
    RecordFollowAlongContact,
    RecordHandoverMeeting,
    RecordJobOffer,
    RecordOutreachAttempt,
    RecordServiceEnded,
    RedirectHandover,
    ReplaceCoordinator,
    RequestHandover,
    ResumeHandover,
    ResumePathway,
    ReturnToWork,
    StartJob,
    StartJobSearch,
    StartSickLeave,
    StartTrack,
    WithdrawConsent,
    WithdrawHandover,
)
from domain.consent import DataCategory, Purpose
from domain.employment import ContactParty, EndedBy, JobEndReason
from domain.escalation import DeadlineKind
from domain.events import DeadlineMissed, EscalationRaised
from domain.handover import DeclineReason, FailReason
from domain.state import CloseReason, PathwayState, PauseReason
from domain.tracks import Responsibility, Track, TrackStatus
from tests.unit.domain.support import START, Harness

ORGS = ["org-a", "org-b", "org-c", "org-d"]
WORKERS = ["cw-1", "cw-2", "cw-3"]
END_REASONS = ["person_no_longer_wants_work", "moved_away", "time_limit", "missed_appointments"]

Draw = st.DataObject
Builder = Callable[[Draw, PathwayState], Command]


def _handover_id(data: Draw, state: PathwayState) -> str:
    open_ids = sorted(h.handover_id for h in state.handovers.values() if h.is_open)
    if not state.handovers or data.draw(st.integers(0, 9)) == 0:
        return "h-missing"
    if open_ids and data.draw(st.integers(0, 3)) > 0:
        return data.draw(st.sampled_from(open_ids))
    return data.draw(st.sampled_from(sorted(state.handovers)))


def _receiver(data: Draw, state: PathwayState, handover_id: str) -> str:
    handover = state.handovers.get(handover_id)
    if handover is not None and data.draw(st.integers(0, 9)) > 0:
        return handover.to_org
    return data.draw(st.sampled_from(ORGS))


def _request(data: Draw, state: PathwayState) -> Command:
    free = [r for r in Responsibility if state.open_handover_for(r.value) is None]
    responsibility = data.draw(st.sampled_from(free or list(Responsibility)))
    track = responsibility.track
    held_by = state.track(track).responsible_org if track else None
    coordinator_org = state.coordinator.org_id if state.coordinator else "org-a"
    sender = held_by if track else coordinator_org
    well_formed = data.draw(st.integers(0, 3)) > 0
    from_org = sender if sender and well_formed else data.draw(st.sampled_from(ORGS))
    return RequestHandover(
        actor="cw-1",
        responsibility=responsibility,
        from_org=from_org or "org-a",
        to_org=data.draw(st.sampled_from([o for o in ORGS if o != from_org])),
        to_worker=data.draw(st.sampled_from(WORKERS)),
        route_id=data.draw(st.sampled_from([None, None, None, "discharge_to_municipality"])),
    )


def _progress(data: Draw, state: PathwayState) -> Command:
    """The natural next step of an open handover, so sequences get deep into the loop."""
    open_handovers = sorted(
        (h for h in state.handovers.values() if h.is_open or h.status.value == "awaiting_meeting"),
        key=lambda h: h.handover_id,
    )
    if not open_handovers:
        return _request(data, state)
    handover = data.draw(st.sampled_from(open_handovers))
    hid, org = handover.handover_id, handover.to_org
    options: dict[str, list[Command]] = {
        "requested": [
            AcknowledgeHandover(actor=org, handover_id=hid, by_org=org),
            AcceptHandover(actor=org, handover_id=hid, by_org=org),
            DeclineHandover(
                actor=org, handover_id=hid, by_org=org, reason_code=DeclineReason.OUT_OF_AREA
            ),
        ],
        "acknowledged": [AcceptHandover(actor=org, handover_id=hid, by_org=org)],
        "accepted": [
            RecordFirstContact(actor=org, handover_id=hid, by_org=org),
            RecordOutreachAttempt(actor=org, handover_id=hid, channel="visit"),
            FailHandover(
                actor=org, handover_id=hid, reason_code=FailReason.NO_CONTACT_AFTER_OUTREACH
            ),
        ],
        "awaiting_meeting": [
            RecordHandoverMeeting(
                actor="cw-1", handover_id=hid, participant_roles=("a",), person_present=False
            )
        ],
        "declined": [
            RedirectHandover(
                actor="cw-1",
                handover_id=hid,
                to_org=data.draw(st.sampled_from([o for o in ORGS if o != org])),
                to_worker=data.draw(st.sampled_from(WORKERS)),
            ),
            EscalateHandover(actor="cw-1", handover_id=hid),
        ],
        "on_hold": [
            ResumeHandover(actor="cw-1", handover_id=hid),
            WithdrawHandover(actor="person", handover_id=hid),
        ],
    }
    options["failed"] = options["declined"]
    return data.draw(st.sampled_from(options[handover.status.value]))


def _on_handover(make: Callable[[str, str], Command]) -> Builder:
    def build(data: Draw, state: PathwayState) -> Command:
        handover_id = _handover_id(data, state)
        return make(handover_id, _receiver(data, state, handover_id))

    return build


def _ids(data: Draw, ids: list[str], missing: str) -> str:
    return data.draw(st.sampled_from([*sorted(ids), missing]))


HANDOVER_BUILDERS: list[Builder] = [
    _request,
    _on_handover(lambda h, o: AcknowledgeHandover(actor=o, handover_id=h, by_org=o)),
    _on_handover(lambda h, o: AcceptHandover(actor=o, handover_id=h, by_org=o)),
    _on_handover(lambda h, o: AcceptHandover(actor=o, handover_id=h, by_org=o)),
    _on_handover(
        lambda h, o: DeclineHandover(
            actor=o, handover_id=h, by_org=o, reason_code=DeclineReason.NO_CAPACITY
        )
    ),
    _on_handover(
        lambda h, o: DeclineHandover(
            actor=o, handover_id=h, by_org=o, reason_code=DeclineReason.NOT_JOB_READY
        )
    ),
    _on_handover(lambda h, o: RedirectHandover(actor="cw-1", handover_id=h, to_org="org-d")),
    _on_handover(lambda h, o: EscalateHandover(actor="cw-1", handover_id=h)),
    _on_handover(lambda h, o: WithdrawHandover(actor="person", handover_id=h)),
    _on_handover(
        lambda h, o: RecordHandoverMeeting(
            actor="cw-1", handover_id=h, participant_roles=("a", "b"), person_present=True
        )
    ),
    _on_handover(lambda h, o: RecordFirstContact(actor=o, handover_id=h, by_org=o)),
    _on_handover(lambda h, o: RecordFirstContact(actor=o, handover_id=h, by_org=o)),
    _on_handover(lambda h, o: RecordOutreachAttempt(actor=o, handover_id=h, channel="phone")),
    _on_handover(
        lambda h, o: FailHandover(
            actor=o, handover_id=h, reason_code=FailReason.NO_CONTACT_AFTER_OUTREACH
        )
    ),
    _on_handover(lambda h, o: ResumeHandover(actor="cw-1", handover_id=h)),
]

OTHER_BUILDERS: list[Builder] = [
    lambda d, s: RecordAdmission(actor="ward", hospital_org="org-a", ward_type="acute"),
    lambda d, s: RecordDischarge(actor="ward", suicide_risk_identified=d.draw(st.booleans())),
    lambda d, s: RecordDischargeFollowUp(actor="cmht", by_org="org-b"),
    lambda d, s: BridgeSupportGap(
        actor="peer", gap_id=_ids(d, list(s.gaps), "g-missing"), by_role="peer_supporter"
    ),
    lambda d, s: GrantConsent(
        actor="person",
        recipient_org=d.draw(st.sampled_from(ORGS)),
        purpose=Purpose.HANDOVER,
        data_categories=frozenset({DataCategory.CARE_PLAN}),
        expires_at=(s.opened_at or START) + timedelta(days=1),
    ),
    lambda d, s: WithdrawConsent(actor="person", consent_id=_ids(d, list(s.consents), "c-x")),
    lambda d, s: EnrolInIps(actor="es", ips_org=d.draw(st.sampled_from(ORGS)), specialist_id="es"),
    lambda d, s: StartJobSearch(actor="es"),
    lambda d, s: RecordEmployerContact(actor="es", employer_id="emp-1"),
    lambda d, s: RecordJobOffer(actor="es", employer_id="emp-1"),
    lambda d, s: DeclineJobOffer(
        actor="person", offer_id=_ids(d, list(s.employment.offers), "o-x")
    ),
    lambda d, s: StartJob(actor="es", employer_id="emp-1", hours_per_week=12),
    lambda d, s: RecordFollowAlongContact(
        actor="es", with_party=d.draw(st.sampled_from(list(ContactParty)))
    ),
    lambda d, s: StartSickLeave(actor="es"),
    lambda d, s: ReturnToWork(actor="es"),
    lambda d, s: EndJob(actor="es", reason_code=JobEndReason.RESIGNED, ended_by=EndedBy.PERSON),
    lambda d, s: EndFollowAlong(actor="es", reason_code=d.draw(st.sampled_from(END_REASONS))),
    lambda d, s: RecordBenefitDecision(
        actor="cw-1", kind=d.draw(st.sampled_from(list(BenefitKind))), authority_org="org-c"
    ),
    lambda d, s: DecideEmploymentContinuation(
        actor="cw-1", continue_track=d.draw(st.booleans()), person_wish="x", decided_by_role="p"
    ),
    lambda d, s: StartTrack(
        actor="cw-1", track=d.draw(st.sampled_from(list(Track))), responsible_org="org-b"
    ),
    lambda d, s: EndTrack(
        actor="cw-1",
        track=d.draw(st.sampled_from(list(Track))),
        reason_code=d.draw(st.sampled_from(END_REASONS)),
    ),
    lambda d, s: RecordServiceEnded(
        actor="cw-1", track=d.draw(st.sampled_from(list(Track))), reason_code="ended"
    ),
    lambda d, s: PausePathway(actor="cw-1", reason=PauseReason.PERSON_REQUEST),
    lambda d, s: ResumePathway(actor="cw-1"),
    lambda d, s: ReplaceCoordinator(
        actor="sup-1", worker_id=d.draw(st.sampled_from(WORKERS)), org_id="org-a", reason_code="x"
    ),
    lambda d, s: MarkDeadlineMissed(
        actor="system",
        kind=d.draw(st.sampled_from(list(DeadlineKind))),
        subject=_handover_id(d, s),
        escalation_level=d.draw(st.integers(1, 2)),
    ),
]

BUILDERS: list[Builder] = [*HANDOVER_BUILDERS, *OTHER_BUILDERS, *[_progress] * 20]
"""Natural handover steps weigh heavily: the handover loop is where the invariants are at risk."""

RARE_BUILDERS: list[Builder] = [
    lambda d, s: ClosePathway(actor="cw-1", reason=CloseReason.PERSON_REQUEST),
]

ENDS_FOLLOW_ALONG = (EndFollowAlong, EndJob, EndTrack, DecideEmploymentContinuation)


def _fire_due_deadlines(h: Harness) -> None:
    """What the workflow does when its timer wakes: report each due deadline as missed."""
    for _ in range(50):
        due = due_deadlines(h.state, h.template, h.now)
        if not due:
            return
        before_follow_along = h.state.employment.follow_along_active
        before_tracks = {t: h.state.track(t).status for t in Track}
        events = h.do(due[0].as_command())
        assert all(isinstance(e, DeadlineMissed | EscalationRaised) for e in events)
        # Nothing ends on a clock: not follow-along support, not a track.
        assert h.state.employment.follow_along_active == before_follow_along
        assert {t: h.state.track(t).status for t in Track} == before_tracks
    raise AssertionError("due deadlines did not settle")


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data(), steps=st.integers(min_value=1, max_value=45))
def test_random_command_sequences_never_break_the_invariants(data: Draw, steps: int) -> None:
    h = Harness("fast")
    h.open(clinical="org-a")
    for _ in range(steps):
        h.advance(timedelta(seconds=data.draw(st.integers(0, 8))))
        pool = RARE_BUILDERS if data.draw(st.integers(0, 60)) == 0 else BUILDERS
        command = data.draw(st.sampled_from(pool))(data, h.state)
        before = h.state
        try:
            h.do(command)
        except DomainError:
            assert h.state == before  # a refused command changes nothing
        if before.employment.follow_along_active and not h.state.employment.follow_along_active:
            assert isinstance(command, ENDS_FOLLOW_ALONG), type(command).__name__
        if isinstance(command, RecordBenefitDecision):
            assert h.state.track(Track.EMPLOYMENT).status is before.track(Track.EMPLOYMENT).status
        _fire_due_deadlines(h)
        assert invariant_violations(h.state, h.template, h.now) == []
        if h.state.is_live:
            assert h.state.coordinator is not None
            for track in h.state.active_tracks():
                assert track.responsible_org
            for handover in h.state.handovers.values():
                if handover.unresolved:
                    assert handover.status.value in ("declined", "failed")
    assert fold(h.events) == h.state
    assert PathwayState.model_validate_json(h.state.model_dump_json()) == h.state
    assert h.state.track(Track.EMPLOYMENT).status in set(TrackStatus)


@settings(max_examples=40, deadline=None)
@given(data=st.data(), steps=st.integers(min_value=1, max_value=30))
def test_folding_events_equals_the_state_built_step_by_step(data: Draw, steps: int) -> None:
    h = Harness("fast")
    h.open(clinical="org-a")
    states = [h.state]
    for _ in range(steps):
        h.advance(timedelta(seconds=data.draw(st.integers(0, 5))))
        command = data.draw(st.sampled_from(BUILDERS))(data, h.state)
        try:
            h.do(command)
        except DomainError:
            continue
        states.append(h.state)
    assert fold(h.events) == h.state
    prefix_state = fold(h.events[: len(h.events) // 2]) if len(h.events) > 1 else None
    if prefix_state is not None:
        assert fold(h.events[len(h.events) // 2 :], prefix_state) == h.state
