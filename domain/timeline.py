"""A readable timeline of a pathway, for case workers, auditors and the demo.

Lines are built only from an event's non-personal fields (``personal_fields`` are excluded before
formatting), so a timeline can be printed, logged or shown to an auditor without personal data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from domain.catalogue import event_type
from domain.events import Event
from domain.personal import personal_fields

Fields = dict[str, Any]


def _handover(verb: str) -> Callable[[Fields], str]:
    return lambda f: f"handover {f['handover_id']} {verb} by {f.get('by_org') or f['actor']}"


_FORMATS: dict[str, Callable[[Fields], str]] = {
    "PathwayOpened": lambda f: (
        f"pathway opened under template {f['template_id']} v{f['template_version']} "
        f"(entry: {f['entry_channel']}, supervisor {f['supervisor_id']})"
    ),
    "CoordinatorAssigned": lambda f: f"coordinator {f['worker_id']} ({f['org_id']}) assigned",
    "CoordinatorReassigned": lambda f: (
        f"coordinator {f['previous_worker_id']} -> {f['worker_id']} ({f['org_id']})"
        + (f" via handover {f['via_handover_id']}" if f["via_handover_id"] else "")
        + (f", reason {f['reason_code']}" if f["reason_code"] else "")
    ),
    "SupervisorAssigned": lambda f: f"supervisor {f['supervisor_id']} assigned",
    "TrackStarted": lambda f: (
        f"track {f['track']} started, responsible {f['responsible_org']}"
        + (f" (holding it for handover {f['held_for_handover']})" if f["held_for_handover"] else "")
    ),
    "TrackEnded": lambda f: f"track {f['track']} ended ({f['reason_code']})",
    "ServiceEnded": lambda f: f"{f['track']} service of {f['org_id']} ended ({f['reason_code']})",
    "PathwayPaused": lambda f: f"pathway paused ({f['reason']}): clocks stopped",
    "PathwayResumed": lambda f: "pathway resumed: clocks running",
    "PathwayClosed": lambda f: f"pathway closed ({f['reason']})",
    "WorkAspirationRecorded": lambda f: "work aspiration recorded in the person's own words",
    "HandoverRequested": lambda f: (
        f"handover {f['handover_id']} {f['responsibility']} {f['from_org']}→{f['to_org']} "
        f"requested by {f['actor']}"
        + (f" (route {f['route_id']})" if f["route_id"] else "")
        + (f", redirected from {f['redirected_from']}" if f["redirected_from"] else "")
        + (", warm handover required" if f["warm_handover_required"] else "")
    ),
    "HandoverAcknowledged": _handover("acknowledged"),
    "HandoverAccepted": _handover("accepted"),
    "HandoverDeclined": lambda f: (
        f"handover {f['handover_id']} declined by {f['by_org']} ({f['reason_code']})"
    ),
    "HandoverRedirected": lambda f: (
        f"handover {f['handover_id']} redirected to {f['to_org']} as {f['new_handover_id']}"
    ),
    "HandoverWithdrawn": lambda f: f"handover {f['handover_id']} withdrawn by the person",
    "HandoverPutOnHold": lambda f: f"handover {f['handover_id']} on hold ({f['reason']})",
    "HandoverResumed": lambda f: f"handover {f['handover_id']} resumed",
    "HandoverMeetingHeld": lambda f: (
        f"handover {f['handover_id']} meeting held with {', '.join(f['participant_roles'])}"
        + (" and the person" if f["person_present"] else "")
    ),
    "FirstContactMade": lambda f: (
        f"handover {f['handover_id']} first contact made by {f['by_org']}: responsibility moved"
    ),
    "HandoverCompleted": lambda f: f"handover {f['handover_id']} completed",
    "OutreachAttemptRecorded": lambda f: (
        f"handover {f['handover_id']} outreach attempt ({f['channel']})"
    ),
    "HandoverFailed": lambda f: f"handover {f['handover_id']} failed ({f['reason_code']})",
    "PersonAdmitted": lambda f: f"admitted to {f['hospital_org']} ({f['ward_type']})",
    "PersonReadmitted": lambda f: f"readmitted to {f['hospital_org']} ({f['ward_type']})",
    "PersonDischarged": lambda f: (
        f"discharged ({f['discharge_id']})"
        + (", suicide risk identified" if f["suicide_risk_identified"] else "")
    ),
    "DischargeFollowUpMade": lambda f: f"discharge follow-up contact by {f['by_org']}",
    "SupportGapOpened": lambda f: (
        f"support gap {f['gap_id']} opened ({f['trigger']}"
        + (f", track {f['track']})" if f["track"] else ")")
    ),
    "SupportGapBridged": lambda f: f"support gap {f['gap_id']} bridged by {f['by_role']}",
    "SupportGapClosed": lambda f: (
        f"support gap {f['gap_id']} closed after {f['duration']}"
        + (f" by handover {f['closed_by_handover_id']}" if f["closed_by_handover_id"] else "")
    ),
    "ConsentGranted": lambda f: (
        f"consent {f['consent_id']} granted to {f['recipient_org']} for {f['purpose']} "
        f"({', '.join(sorted(f['data_categories']))}) until {f['expires_at']}"
    ),
    "ConsentRefused": lambda f: f"consent refused to {f['recipient_org']} for {f['purpose']}",
    "ConsentWithdrawn": lambda f: f"consent {f['consent_id']} withdrawn",
    "LegalBasisRecorded": lambda f: (
        # The reference itself is personal (it may cite the person's own order): left out.
        f"legal basis {f['basis_id']} for {f['recipient_org']} for {f['purpose']} recorded"
    ),
    "InformationShared": lambda f: (
        f"shared {', '.join(sorted(f['data_categories']))} with {f['recipient_org']} "
        + (
            f"under consent {f['consent_id']}"
            if f["consent_id"]
            else f"under legal basis {f['legal_basis_id']}"
            if f["legal_basis_id"]
            else f"by the person's disclosure choice ({f['disclosure_level']})"
        )
    ),
    "DisclosurePreferenceRecorded": lambda f: f"employer disclosure preference: {f['level']}",
    "IpsEnrolled": lambda f: (
        f"enrolled in IPS at {f['ips_org']}, employment specialist {f['specialist_id']}"
    ),
    "EmploymentSpecialistAssigned": lambda f: f"employment specialist {f['specialist_id']}",
    "VocationalProfileCompleted": lambda f: "vocational profile completed",
    "JobSearchStarted": lambda f: "job search started",
    "EmployerContacted": lambda f: (
        f"employer {f['employer_id']} contacted" + (" face to face" if f["face_to_face"] else "")
    ),
    "JobOfferReceived": lambda f: f"job offer {f['offer_id']} from {f['employer_id']}",
    "JobOfferDeclined": lambda f: f"job offer {f['offer_id']} declined by the person",
    "JobStarted": lambda f: (
        f"job {f['job_id']} started at {f['employer_id']} ({f['hours_per_week']:g} h/week, "
        f"{f['contract_type']}{', competitive' if f['competitive'] else ''})"
    ),
    "FollowAlongContactMade": lambda f: f"follow-along contact with the {f['with_party']}",
    "SickLeaveStarted": lambda f: f"sick leave started (job {f['job_id']})",
    "ReturnedToWork": lambda f: f"returned to work (job {f['job_id']})",
    "JobEnded": lambda f: (
        f"job {f['job_id']} ended ({f['reason_code']}, by {f['ended_by']})"
        + (", back to job search" if f["back_to_search"] else "")
    ),
    "FollowAlongEnded": lambda f: f"follow-along support ended by decision ({f['reason_code']})",
    "BenefitDecisionRecorded": lambda f: (
        f"benefit decision {f['decision_id']}: {f['kind']} by {f['authority_org']}"
    ),
    "EmploymentContinuationDecisionRequired": lambda f: (
        f"{f['kind']} needs an explicit decision on the employment track"
    ),
    "EmploymentTrackContinuationDecided": lambda f: (
        f"employment track {'continues' if f['continue_track'] else 'ends'} "
        f"(decided by {f['decided_by_role']}, person's wish recorded)"
    ),
    "FundingPeriodRecorded": lambda f: (
        f"funding {f['funding_id']} by {f['funder_org']} for {f['track']} until {f['ends_at']}"
    ),
    "FundingReviewed": lambda f: f"funding {f['funding_id']} reviewed: {f['outcome']}",
    "DeadlineMissed": lambda f: (
        f"deadline missed: {f['kind']} for {f['subject']} (due {f['due_at']})"
    ),
    "EscalationRaised": lambda f: (
        f"escalated to {f['target_role']} {f['target_id']} "
        f"(level {f['level']}, {f['kind'] or 'by hand'}, {f['subject']})"
    ),
}


def timeline_line(event: Event, *, seconds: bool = False) -> str:
    """One line for one event: ``YYYY-MM-DD HH:MM text``, never with personal data."""
    cls = type(event)
    fields = event.model_dump(mode="json", exclude=set(personal_fields(cls)))
    stamp = event.occurred_at.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    formatter = _FORMATS.get(event_type(event))
    text = formatter(fields) if formatter else event_type(event)
    return f"{stamp} {text}"


def render_timeline(events: Iterable[Event], *, seconds: bool = False) -> list[str]:
    """Lines for a pathway's events, in the order given (the store's order).

    Args:
        events: the events, oldest first.
        seconds: include seconds in the time stamp (useful with the ``fast`` template).
    """
    return [timeline_line(event, seconds=seconds) for event in events]
