"""IPS and work: no time-based closure of follow-along; benefit changes need a decision."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import next_deadlines
from domain.benefits import BenefitKind
from domain.commands import (
    DecideEmploymentContinuation,
    DeclineJobOffer,
    EndFollowAlong,
    EndJob,
    EndTrack,
    EnrolInIps,
    RecordBenefitDecision,
    RecordEmployerContact,
    RecordFollowAlongContact,
    RecordJobOffer,
    ReturnToWork,
    StartJob,
    StartJobSearch,
    StartSickLeave,
)
from domain.employment import ContactParty, EmploymentPhase, EndedBy, JobEndReason
from domain.errors import ForbiddenReasonError, InvalidTransitionError
from domain.escalation import DeadlineKind
from domain.events import JobOfferReceived, JobStarted
from domain.tracks import Track, TrackStatus
from tests.unit.domain.support import Harness, only


def employed() -> Harness:
    h = Harness()
    h.open(clinical="org-ggz")
    h.do(EnrolInIps(actor="es-1", ips_org="org-ips", specialist_id="es-1"))
    h.do(StartJobSearch(actor="es-1"))  # straight from enrolment: place, then train
    h.do(RecordEmployerContact(actor="es-1", employer_id="emp-1"))
    offer = only(h.do(RecordJobOffer(actor="es-1", employer_id="emp-1")), JobOfferReceived)
    h.do(DeclineJobOffer(actor="person", offer_id=offer.offer_id, reason_text="too far"))
    second = only(h.do(RecordJobOffer(actor="es-1", employer_id="emp-2")), JobOfferReceived)
    h.do(StartJob(actor="es-1", employer_id="emp-2", offer_id=second.offer_id, hours_per_week=16))
    return h


def follow_along(h: Harness) -> list[DeadlineKind]:
    return [d.kind for d in next_deadlines(h.state, h.template)]


def test_follow_along_is_weekly_in_the_first_month_then_monthly() -> None:
    h = employed()
    (worker,) = [
        d
        for d in next_deadlines(h.state, h.template)
        if d.kind is DeadlineKind.FOLLOW_ALONG_WORKER_CONTACT
    ]
    assert worker.due_at == h.now + timedelta(days=7)
    h.advance(timedelta(days=29))
    h.do(RecordFollowAlongContact(actor="es-1", with_party=ContactParty.WORKER))
    (worker,) = [
        d
        for d in next_deadlines(h.state, h.template)
        if d.kind is DeadlineKind.FOLLOW_ALONG_WORKER_CONTACT
    ]
    assert worker.due_at == h.now + timedelta(days=30)


def test_missed_follow_along_contacts_escalate_but_never_end_support() -> None:
    h = employed()
    for _ in range(40):  # years of missed contacts
        h.advance(timedelta(days=40))
        for d in list(next_deadlines(h.state, h.template)):
            if d.due_at <= h.now:
                h.do(d.as_command())
    assert h.state.employment.follow_along_active
    assert h.state.track(Track.EMPLOYMENT).status is TrackStatus.ACTIVE


def test_follow_along_cannot_end_for_a_time_limit() -> None:
    h = employed()
    with pytest.raises(ForbiddenReasonError, match="time-unlimited"):
        h.do(EndFollowAlong(actor="es-1", reason_code="time_limit"))
    h.do(EndFollowAlong(actor="es-1", reason_code="person_no_longer_wants_support"))
    assert not h.state.employment.follow_along_active


def test_sick_leave_and_return_keep_the_job_and_its_support() -> None:
    h = employed()
    h.do(StartSickLeave(actor="es-1"))
    assert h.state.employment.phase is EmploymentPhase.SICK_LEAVE
    assert h.state.employment.follow_along_active
    h.do(ReturnToWork(actor="es-1"))
    after = h.state  # a fresh name: mypy must not carry the narrowing across the command
    assert after.employment.phase is EmploymentPhase.EMPLOYED


def test_a_job_end_goes_back_to_search_and_starts_the_job_loss_clock() -> None:
    h = employed()
    h.do(EndJob(actor="es-1", reason_code=JobEndReason.DISMISSED, ended_by=EndedBy.EMPLOYER))
    assert h.state.employment.phase is EmploymentPhase.JOB_SEARCHING
    assert DeadlineKind.JOB_LOSS_CONTACT in follow_along(h)
    h.do(RecordFollowAlongContact(actor="es-1", with_party=ContactParty.WORKER))
    assert DeadlineKind.JOB_LOSS_CONTACT not in follow_along(h)
    h.do(StartJob(actor="es-1", employer_id="emp-3", hours_per_week=20))
    assert h.state.employment.jobs_started == 2


def test_early_retirement_requires_an_explicit_decision_and_keeps_the_track() -> None:
    h = employed()
    h.do(
        RecordBenefitDecision(
            actor="cw-1", kind=BenefitKind.EARLY_RETIREMENT, authority_org="org-kommune"
        )
    )
    assert h.state.track(Track.EMPLOYMENT).status is TrackStatus.ACTIVE
    assert h.state.track(Track.INCOME).responsible_org == "org-kommune"
    assert h.state.continuation_pending is not None
    assert DeadlineKind.CONTINUATION_DECISION in follow_along(h)
    with pytest.raises(InvalidTransitionError, match="DecideEmploymentContinuation"):
        h.do(EndTrack(actor="cw-1", track=Track.EMPLOYMENT, reason_code="moved_away"))
    h.do(
        DecideEmploymentContinuation(
            actor="cw-1",
            continue_track=True,
            person_wish="I want to keep my job",
            decided_by_role="person",
        )
    )
    assert h.state.continuation_pending is None
    assert h.state.employment.job is not None


def test_the_person_may_decide_to_end_the_employment_track_after_a_status_change() -> None:
    h = employed()
    h.do(
        RecordBenefitDecision(
            actor="cw-1", kind=BenefitKind.INVALIDITY_PENSION, authority_org="org-inps"
        )
    )
    h.do(
        DecideEmploymentContinuation(
            actor="cw-1",
            continue_track=False,
            person_wish="I want to stop",
            decided_by_role="person",
        )
    )
    assert h.state.track(Track.EMPLOYMENT).status is TrackStatus.ENDED


def test_a_job_start_records_the_offer_as_accepted() -> None:
    h = employed()
    job = only([e for e in h.events if isinstance(e, JobStarted)], JobStarted)
    assert job.offer_id is not None
    assert h.state.employment.offers[job.offer_id].accepted


def test_withdrawing_an_employment_handover_never_ends_a_job_or_its_follow_along() -> None:
    from domain.commands import EnrolInIps, RequestHandover, StartJob, WithdrawHandover
    from domain.tracks import Responsibility

    h = Harness("fast")
    h.open(clinical="org-a")
    h.do(
        RequestHandover(
            actor="cw-1",
            handover_id="h-1",
            responsibility=Responsibility.EMPLOYMENT,
            from_org="org-a",
            to_org="org-b",
        )
    )
    h.do(EnrolInIps(actor="es", ips_org="org-a", specialist_id="es"))
    h.do(StartJob(actor="es", employer_id="emp-1", hours_per_week=12))

    events = h.do(WithdrawHandover(actor="person", handover_id="h-1"))

    assert [type(e).__name__ for e in events] == ["HandoverWithdrawn"]
    assert h.state.employment.follow_along_active
