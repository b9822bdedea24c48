"""IPS and work rules. Nothing here ends follow-along support on a clock."""

from __future__ import annotations

from domain.commands import (
    AssignEmploymentSpecialist,
    CompleteVocationalProfile,
    DeclineJobOffer,
    EndFollowAlong,
    EndJob,
    EnrolInIps,
    RecordEmployerContact,
    RecordFollowAlongContact,
    RecordJobOffer,
    ReturnToWork,
    StartJob,
    StartJobSearch,
    StartSickLeave,
)
from domain.deadline_keys import clear_escalation
from domain.employment import (
    ContactParty,
    Employment,
    EmploymentPhase,
    Job,
    JobOffer,
    SupportEndReason,
)
from domain.errors import (
    DuplicateEntityError,
    InvalidCommandError,
    InvalidTransitionError,
    NotResponsibleError,
    UnknownEntityError,
)
from domain.escalation import DeadlineKind
from domain.events import (
    EmployerContacted,
    EmploymentSpecialistAssigned,
    Event,
    FollowAlongContactMade,
    FollowAlongEnded,
    IpsEnrolled,
    JobEnded,
    JobOfferDeclined,
    JobOfferReceived,
    JobSearchStarted,
    JobStarted,
    ReturnedToWork,
    SickLeaveStarted,
    TrackStarted,
    VocationalProfileCompleted,
)
from domain.rules.context import Applier, Context, Decider, replace_item
from domain.rules.guards import require_live
from domain.rules.pathway import check_end_reason
from domain.state import PathwayState
from domain.tracks import Track, TrackStatus

# --- decide -------------------------------------------------------------------------------------


def _require_enrolled(state: PathwayState) -> Employment:
    require_live(state)
    if state.employment.phase is EmploymentPhase.NOT_STARTED:
        raise InvalidTransitionError(f"pathway {state.pathway_id}: the person is not in IPS")
    return state.employment


def _require_job(state: PathwayState) -> Job:
    employment = _require_enrolled(state)
    if employment.job is None:
        raise InvalidTransitionError(f"pathway {state.pathway_id}: the person has no current job")
    return employment.job


def _enrol(state: PathwayState, command: EnrolInIps, ctx: Context) -> list[Event]:
    require_live(state)
    if state.employment.phase is not EmploymentPhase.NOT_STARTED:
        raise DuplicateEntityError(f"pathway {state.pathway_id}: the person is already in IPS")
    track = state.track(Track.EMPLOYMENT)
    events: list[Event] = []
    if track.status is TrackStatus.ACTIVE:
        pending = state.open_handover_for(Track.EMPLOYMENT.value)
        incoming = pending is not None and pending.to_org == command.ips_org
        if track.responsible_org != command.ips_org and not incoming:
            raise NotResponsibleError(
                f"{command.ips_org} neither holds the employment track "
                f"(responsible: {track.responsible_org}) nor receives a handover of it"
            )
    else:
        # Zero exclusion: a person may refer themselves; the IPS provider takes the track.
        events.append(
            TrackStarted(**ctx.stamp(), track=Track.EMPLOYMENT, responsible_org=command.ips_org)
        )
    events.append(
        IpsEnrolled(
            **ctx.stamp(),
            enrolment_id=ctx.new_local_id("e"),
            ips_org=command.ips_org,
            specialist_id=command.specialist_id,
        )
    )
    return events


def _assign_specialist(
    state: PathwayState, command: AssignEmploymentSpecialist, ctx: Context
) -> list[Event]:
    _require_enrolled(state)
    return [EmploymentSpecialistAssigned(**ctx.stamp(), specialist_id=command.specialist_id)]


def _profile(state: PathwayState, command: CompleteVocationalProfile, ctx: Context) -> list[Event]:
    _require_enrolled(state)
    return [VocationalProfileCompleted(**ctx.stamp(), preferences=command.preferences)]


def _search(state: PathwayState, command: StartJobSearch, ctx: Context) -> list[Event]:
    employment = _require_enrolled(state)
    if employment.phase is not EmploymentPhase.EXPLORING:
        raise InvalidTransitionError(
            f"job search starts from exploring, not {employment.phase.value}"
        )
    return [JobSearchStarted(**ctx.stamp())]


def _employer_contact(
    state: PathwayState, command: RecordEmployerContact, ctx: Context
) -> list[Event]:
    _require_enrolled(state)
    return [
        EmployerContacted(
            **ctx.stamp(), employer_id=command.employer_id, face_to_face=command.face_to_face
        )
    ]


def _offer(state: PathwayState, command: RecordJobOffer, ctx: Context) -> list[Event]:
    employment = _require_enrolled(state)
    offer_id = command.offer_id or ctx.new_local_id("o")
    if offer_id in employment.offers:
        raise DuplicateEntityError(f"pathway {state.pathway_id} already has job offer {offer_id}")
    return [JobOfferReceived(**ctx.stamp(), offer_id=offer_id, employer_id=command.employer_id)]


def _require_open_offer(state: PathwayState, offer_id: str) -> JobOffer:
    offer = state.employment.offers.get(offer_id)
    if offer is None:
        raise UnknownEntityError(f"pathway {state.pathway_id} has no job offer {offer_id}")
    if offer.declined or offer.accepted:
        status = "declined" if offer.declined else "accepted"
        raise InvalidTransitionError(f"job offer {offer_id} is already {status}")
    return offer


def _decline_offer(state: PathwayState, command: DeclineJobOffer, ctx: Context) -> list[Event]:
    _require_enrolled(state)
    offer = _require_open_offer(state, command.offer_id)
    return [
        JobOfferDeclined(**ctx.stamp(), offer_id=offer.offer_id, reason_text=command.reason_text)
    ]


def _start_job(state: PathwayState, command: StartJob, ctx: Context) -> list[Event]:
    employment = _require_enrolled(state)
    if employment.job is not None:
        raise InvalidTransitionError(
            f"pathway {state.pathway_id}: job {employment.job.job_id} is current; end it first"
        )
    employer_id = command.employer_id
    if command.offer_id is not None:
        offer = _require_open_offer(state, command.offer_id)
        if offer.employer_id != employer_id:
            raise InvalidCommandError(
                f"job offer {offer.offer_id} came from {offer.employer_id}, not {employer_id}"
            )
    return [
        JobStarted(
            **ctx.stamp(),
            job_id=command.job_id or ctx.new_local_id("j"),
            employer_id=employer_id,
            offer_id=command.offer_id,
            hours_per_week=command.hours_per_week,
            contract_type=command.contract_type,
            competitive=command.competitive,
        )
    ]


def _follow_along_contact(
    state: PathwayState, command: RecordFollowAlongContact, ctx: Context
) -> list[Event]:
    employment = _require_enrolled(state)
    job = employment.job
    if job is None and employment.last_job_id is None:
        raise InvalidTransitionError(
            f"pathway {state.pathway_id}: follow-along contacts need a job or a recent job loss"
        )
    if job is None and command.with_party is not ContactParty.WORKER:
        raise InvalidTransitionError("after a job loss the follow-along contact is with the worker")
    return [
        FollowAlongContactMade(
            **ctx.stamp(),
            job_id=job.job_id if job else None,
            with_party=command.with_party,
        )
    ]


def _sick_leave(state: PathwayState, command: StartSickLeave, ctx: Context) -> list[Event]:
    job = _require_job(state)
    if job.on_sick_leave:
        raise InvalidTransitionError(f"job {job.job_id}: the worker is already on sick leave")
    return [SickLeaveStarted(**ctx.stamp(), job_id=job.job_id)]


def _return_to_work(state: PathwayState, command: ReturnToWork, ctx: Context) -> list[Event]:
    job = _require_job(state)
    if not job.on_sick_leave:
        raise InvalidTransitionError(f"job {job.job_id}: the worker is not on sick leave")
    return [ReturnedToWork(**ctx.stamp(), job_id=job.job_id)]


def _end_job(state: PathwayState, command: EndJob, ctx: Context) -> list[Event]:
    job = _require_job(state)
    return [
        JobEnded(
            **ctx.stamp(),
            job_id=job.job_id,
            reason_code=command.reason_code,
            ended_by=command.ended_by,
            back_to_search=command.back_to_search,
        )
    ]


def _end_follow_along(state: PathwayState, command: EndFollowAlong, ctx: Context) -> list[Event]:
    employment = _require_enrolled(state)
    if not employment.follow_along_active:
        raise InvalidTransitionError(f"pathway {state.pathway_id} has no follow-along support")
    check_end_reason(command.reason_code, "follow-along support")
    if command.reason_code not in set(SupportEndReason):
        raise InvalidCommandError(
            f"follow-along support ends only for one of: {', '.join(SupportEndReason)}"
        )
    return [FollowAlongEnded(**ctx.stamp(), reason_code=SupportEndReason(command.reason_code))]


DECIDERS: dict[type, Decider] = {
    EnrolInIps: _enrol,
    AssignEmploymentSpecialist: _assign_specialist,
    CompleteVocationalProfile: _profile,
    StartJobSearch: _search,
    RecordEmployerContact: _employer_contact,
    RecordJobOffer: _offer,
    DeclineJobOffer: _decline_offer,
    StartJob: _start_job,
    RecordFollowAlongContact: _follow_along_contact,
    StartSickLeave: _sick_leave,
    ReturnToWork: _return_to_work,
    EndJob: _end_job,
    EndFollowAlong: _end_follow_along,
}

# --- evolve -------------------------------------------------------------------------------------


def _set(state: PathwayState, **changes: object) -> PathwayState:
    return state.model_copy(update={"employment": state.employment.model_copy(update=changes)})


def _enrolled(state: PathwayState, event: IpsEnrolled) -> PathwayState:
    return _set(
        state,
        phase=EmploymentPhase.EXPLORING,
        enrolment_id=event.enrolment_id,
        ips_org=event.ips_org,
        specialist_id=event.specialist_id,
        enrolled_at=event.occurred_at,
    )


def _specialist(state: PathwayState, event: EmploymentSpecialistAssigned) -> PathwayState:
    return _set(state, specialist_id=event.specialist_id)


def _profiled(state: PathwayState, event: VocationalProfileCompleted) -> PathwayState:
    return _set(state, vocational_profile_done=True)


def _searching(state: PathwayState, event: JobSearchStarted) -> PathwayState:
    return _set(state, phase=EmploymentPhase.JOB_SEARCHING)


def _contacted(state: PathwayState, event: EmployerContacted) -> PathwayState:
    employment = state.employment
    return _set(
        state,
        employer_contacts=employment.employer_contacts + 1,
        first_employer_contact_at=employment.first_employer_contact_at or event.occurred_at,
    )


def _offered(state: PathwayState, event: JobOfferReceived) -> PathwayState:
    offer = JobOffer(
        offer_id=event.offer_id, employer_id=event.employer_id, received_at=event.occurred_at
    )
    return _set(state, offers=replace_item(state.employment.offers, offer.offer_id, offer))


def _offer_declined(state: PathwayState, event: JobOfferDeclined) -> PathwayState:
    offer = state.employment.offers[event.offer_id].model_copy(update={"declined": True})
    return _set(state, offers=replace_item(state.employment.offers, offer.offer_id, offer))


def _job_started(state: PathwayState, event: JobStarted) -> PathwayState:
    employment = state.employment
    offers = employment.offers
    if event.offer_id is not None:
        offers = replace_item(
            offers, event.offer_id, offers[event.offer_id].model_copy(update={"accepted": True})
        )
    job = Job(
        job_id=event.job_id,
        employer_id=event.employer_id,
        started_at=event.occurred_at,
        hours_per_week=event.hours_per_week,
        contract_type=event.contract_type,
        competitive=event.competitive,
    )
    return _set(
        state,
        phase=EmploymentPhase.EMPLOYED,
        job=job,
        offers=offers,
        jobs_started=employment.jobs_started + 1,
        follow_along_active=True,
        last_worker_contact_at=None,
        last_employer_contact_at=None,
        contact_since_job_end=True,
    )


def _follow_along_contacted(state: PathwayState, event: FollowAlongContactMade) -> PathwayState:
    employment = state.employment
    if employment.job is None:
        state = clear_escalation(
            state, DeadlineKind.JOB_LOSS_CONTACT, employment.last_job_id or "unknown"
        )
        return _set(state, contact_since_job_end=True, last_worker_contact_at=event.occurred_at)
    if event.with_party is ContactParty.WORKER:
        state = clear_escalation(
            state, DeadlineKind.FOLLOW_ALONG_WORKER_CONTACT, employment.job.job_id
        )
        return _set(state, last_worker_contact_at=event.occurred_at)
    state = clear_escalation(
        state, DeadlineKind.FOLLOW_ALONG_EMPLOYER_CONTACT, employment.job.job_id
    )
    return _set(state, last_employer_contact_at=event.occurred_at)


def _sick(state: PathwayState, event: SickLeaveStarted) -> PathwayState:
    job = state.employment.job
    assert job is not None
    return _set(
        state, phase=EmploymentPhase.SICK_LEAVE, job=job.model_copy(update={"on_sick_leave": True})
    )


def _returned(state: PathwayState, event: ReturnedToWork) -> PathwayState:
    job = state.employment.job
    assert job is not None
    return _set(
        state, phase=EmploymentPhase.EMPLOYED, job=job.model_copy(update={"on_sick_leave": False})
    )


def _job_ended(state: PathwayState, event: JobEnded) -> PathwayState:
    # Follow-along support belongs to the job: it ends with the job, never with a clock.
    return _set(
        state,
        phase=EmploymentPhase.JOB_SEARCHING if event.back_to_search else EmploymentPhase.EXPLORING,
        job=None,
        follow_along_active=False,
        last_job_id=event.job_id,
        last_job_ended_at=event.occurred_at,
        contact_since_job_end=False,
    )


def _follow_along_ended(state: PathwayState, event: FollowAlongEnded) -> PathwayState:
    return _set(state, follow_along_active=False)


APPLIERS: dict[type, Applier] = {
    IpsEnrolled: _enrolled,
    EmploymentSpecialistAssigned: _specialist,
    VocationalProfileCompleted: _profiled,
    JobSearchStarted: _searching,
    EmployerContacted: _contacted,
    JobOfferReceived: _offered,
    JobOfferDeclined: _offer_declined,
    JobStarted: _job_started,
    FollowAlongContactMade: _follow_along_contacted,
    SickLeaveStarted: _sick,
    ReturnedToWork: _returned,
    JobEnded: _job_ended,
    FollowAlongEnded: _follow_along_ended,
}
