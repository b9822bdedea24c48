"""A small harness that drives the pure domain the way the workflow will."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from uuid import UUID

from domain import decide, evolve, load_template
from domain.commands import Command, OpenPathway, RecordHandoverMeeting
from domain.events import Event
from domain.state import EntryChannel, PathwayState
from domain.templates import JurisdictionTemplate
from domain.tracks import Track

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def counter_ids() -> Iterator[UUID]:
    """Deterministic UUIDs, as ``workflow.uuid4()`` would give on replay."""
    n = 0
    while True:
        n += 1
        yield UUID(int=n)


class Harness:
    """One pathway: decide, evolve, keep the events, move a fake clock."""

    def __init__(self, template_id: str = "nl", pathway_id: str = "p-1") -> None:
        self.template: JurisdictionTemplate = load_template(template_id)
        self.state = PathwayState.new(pathway_id)
        self.events: list[Event] = []
        self.now = START
        self._ids = counter_ids()

    def new_id(self) -> UUID:
        return next(self._ids)

    def advance(self, delta: timedelta) -> None:
        self.now += delta

    def do(self, command: Command) -> list[Event]:
        events = decide(
            self.state, command, template=self.template, now=self.now, new_id=self.new_id
        )
        for event in events:
            self.state = evolve(self.state, event)
        self.events.extend(events)
        return events

    def open(self, **tracks: str) -> list[Event]:
        return self.do(
            OpenPathway(
                actor="cw-1",
                pathway_id=self.state.pathway_id,
                template_id=self.template.id,
                template_version=self.template.version,
                coordinator_id="cw-1",
                coordinator_org="org-coord",
                supervisor_id="sup-1",
                entry_channel=EntryChannel.HOSPITAL,
                tracks={Track(k): v for k, v in tracks.items()},
            )
        )


E = TypeVar("E", bound=Event)


def only(events: list[Event], cls: type[E]) -> E:
    """The single event of a class among ``events``."""
    found = [e for e in events if isinstance(e, cls)]
    assert len(found) == 1, f"expected one {cls.__name__}, got {[type(e).__name__ for e in events]}"
    return found[0]


SECRET = "Jan de Vries, 06-12345678"
"""Personal data planted in every personal field of the full route, to prove it never leaks."""


def warm_meeting(handover_id: str) -> RecordHandoverMeeting:
    """The closing meeting of a warm handover: ward nurse and district team worker, with the
    person present, chaired by the coordinator ``cw-1``."""
    return RecordHandoverMeeting(
        actor="cw-1",
        handover_id=handover_id,
        participant_roles=("ward_nurse", "wijkteam_worker"),
        person_present=True,
    )


def full_route() -> Harness:
    """One person's whole NL route: admission to follow-along, with a decline and a readmission."""
    from domain.benefits import BenefitKind
    from domain.commands import (
        AcceptHandover,
        AcknowledgeHandover,
        ClosePathway,
        CompleteVocationalProfile,
        DecideEmploymentContinuation,
        DeclineHandover,
        DeclineJobOffer,
        EndJob,
        EnrolInIps,
        GrantConsent,
        RecordAdmission,
        RecordBenefitDecision,
        RecordDischarge,
        RecordDischargeFollowUp,
        RecordEmployerContact,
        RecordFirstContact,
        RecordFollowAlongContact,
        RecordJobOffer,
        RecordWorkAspiration,
        RedirectHandover,
        RequestHandover,
        ReturnToWork,
        ShareInformation,
        StartJob,
        StartJobSearch,
        StartSickLeave,
    )
    from domain.consent import DataCategory, Purpose
    from domain.employment import ContactParty, EndedBy, JobEndReason
    from domain.events import HandoverRequested, JobOfferReceived
    from domain.handover import DeclineReason
    from domain.state import CloseReason
    from domain.tracks import Responsibility

    h = Harness("nl")
    h.open(clinical="org-hospital")
    h.do(RecordAdmission(actor="ward", hospital_org="org-hospital", ward_type="acute"))
    h.do(RecordWorkAspiration(actor="person", text=SECRET))
    h.advance(timedelta(days=12))
    h.do(RecordDischarge(actor="ward", suicide_risk_identified=False))
    h.do(
        GrantConsent(
            actor="person",
            recipient_org="org-gemeente",
            purpose=Purpose.HANDOVER,
            data_categories=frozenset({DataCategory.CARE_PLAN}),
            expires_at=h.now + timedelta(days=365),
        )
    )
    first = only(
        h.do(
            RequestHandover(
                actor="cw-1",
                responsibility=Responsibility.SOCIAL,
                from_org="org-hospital",
                to_org="org-wijkteam-west",
                route_id="discharge_to_municipality",
                note=SECRET,
            )
        ),
        HandoverRequested,
    ).handover_id
    h.advance(timedelta(hours=5))
    h.do(
        DeclineHandover(
            actor="org-wijkteam-west",
            handover_id=first,
            by_org="org-wijkteam-west",
            reason_code=DeclineReason.OUT_OF_AREA,
            reason_text=SECRET,
        )
    )
    social = only(
        h.do(
            RedirectHandover(
                actor="cw-1",
                handover_id=first,
                to_org="org-gemeente",
                route_id="discharge_to_municipality",
            )
        ),
        HandoverRequested,
    ).handover_id
    h.do(
        ShareInformation(
            actor="cw-1",
            recipient_org="org-gemeente",
            purpose=Purpose.HANDOVER,
            data_categories=frozenset({DataCategory.CARE_PLAN}),
        )
    )
    h.advance(timedelta(hours=3))
    h.do(AcknowledgeHandover(actor="org-gemeente", handover_id=social, by_org="org-gemeente"))
    h.do(AcceptHandover(actor="org-gemeente", handover_id=social, by_org="org-gemeente"))
    h.advance(timedelta(days=1))
    h.do(RecordDischargeFollowUp(actor="fact", by_org="org-fact"))
    h.do(warm_meeting(social))
    h.do(RecordFirstContact(actor="w-7", handover_id=social, by_org="org-gemeente"))
    ips = only(
        h.do(
            RequestHandover(
                actor="cw-1",
                responsibility=Responsibility.EMPLOYMENT,
                from_org="org-hospital",
                to_org="org-ips",
            )
        ),
        HandoverRequested,
    ).handover_id
    h.do(AcceptHandover(actor="org-ips", handover_id=ips, by_org="org-ips"))
    h.do(EnrolInIps(actor="es-1", ips_org="org-ips", specialist_id="es-1"))
    h.do(RecordFirstContact(actor="es-1", handover_id=ips, by_org="org-ips"))
    h.do(CompleteVocationalProfile(actor="es-1", preferences=SECRET))
    h.do(StartJobSearch(actor="es-1"))
    h.advance(timedelta(days=9))
    h.do(RecordEmployerContact(actor="es-1", employer_id="emp-1"))
    offer = only(h.do(RecordJobOffer(actor="es-1", employer_id="emp-1")), JobOfferReceived)
    h.do(DeclineJobOffer(actor="person", offer_id=offer.offer_id, reason_text=SECRET))
    h.advance(timedelta(days=14))
    h.do(StartJob(actor="es-1", employer_id="emp-2", hours_per_week=16))
    h.advance(timedelta(days=5))
    h.do(RecordFollowAlongContact(actor="es-1", with_party=ContactParty.WORKER))
    h.do(RecordFollowAlongContact(actor="es-1", with_party=ContactParty.EMPLOYER))
    h.do(StartSickLeave(actor="es-1"))
    h.advance(timedelta(days=10))
    h.do(ReturnToWork(actor="es-1"))
    h.do(
        RecordBenefitDecision(
            actor="cw-1", kind=BenefitKind.EARLY_RETIREMENT, authority_org="org-uwv"
        )
    )
    h.do(
        DecideEmploymentContinuation(
            actor="cw-1", continue_track=True, person_wish=SECRET, decided_by_role="person"
        )
    )
    h.advance(timedelta(days=40))
    h.do(RecordAdmission(actor="ward", hospital_org="org-hospital", ward_type="crisis"))
    h.advance(timedelta(days=8))
    h.do(RecordDischarge(actor="ward", suicide_risk_identified=True))
    h.do(EndJob(actor="es-1", reason_code=JobEndReason.HEALTH, ended_by=EndedBy.PERSON))
    h.do(ClosePathway(actor="cw-1", reason=CloseReason.PERSON_REQUEST, person_view=SECRET))
    return h
