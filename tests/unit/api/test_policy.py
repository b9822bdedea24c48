"""Who among a pathway's agencies may read it: parties now, with sharing covered; and which case
worker: the coordinator's worker id in the coordinator's organisation, never the id alone."""

from __future__ import annotations

from datetime import timedelta

from api.auth.policy import agency_may_see, caseworker_may_see, is_party, may_read_pathway
from api.auth.principals import Principal, Role
from domain.commands import (
    AcceptHandover,
    AcknowledgeHandover,
    DeclineHandover,
    GrantConsent,
    RecordFirstContact,
    RedirectHandover,
    RequestHandover,
)
from domain.consent import DataCategory, Purpose
from domain.events import HandoverRequested
from domain.handover import DeclineReason, HandoverStatus
from domain.tracks import Responsibility
from tests.unit.domain.support import Harness, only, warm_meeting

HOSPITAL, MUNICIPALITY, OTHER = "org-hospital", "org-gemeente", "org-gemeente-2"


def _consent(h: Harness, org: str) -> None:
    h.do(
        GrantConsent(
            actor="person",
            recipient_org=org,
            purpose=Purpose.HANDOVER,
            data_categories=frozenset({DataCategory.CARE_PLAN}),
            expires_at=h.now + timedelta(days=365),
        )
    )


def _request(h: Harness, to_org: str) -> str:
    events = h.do(
        RequestHandover(
            actor="cw-1",
            responsibility=Responsibility.SOCIAL,
            from_org=HOSPITAL,
            to_org=to_org,
            route_id="discharge_to_municipality",
        )
    )
    return only(events, HandoverRequested).handover_id


def _pathway() -> Harness:
    h = Harness()
    h.open(clinical=HOSPITAL)
    for org in (MUNICIPALITY, OTHER):
        _consent(h, org)
    return h


def test_a_receiver_takes_part_while_it_owes_a_step() -> None:
    h = _pathway()
    assert not agency_may_see(h.state, MUNICIPALITY, h.now)  # consent alone is no part
    hid = _request(h, MUNICIPALITY)
    assert agency_may_see(h.state, MUNICIPALITY, h.now)
    h.do(AcknowledgeHandover(actor=MUNICIPALITY, handover_id=hid, by_org=MUNICIPALITY))
    h.do(AcceptHandover(actor=MUNICIPALITY, handover_id=hid, by_org=MUNICIPALITY))
    assert agency_may_see(h.state, MUNICIPALITY, h.now)


def test_a_receiver_that_declined_no_longer_reads_the_pathway() -> None:
    h = _pathway()
    hid = _request(h, MUNICIPALITY)
    h.do(
        DeclineHandover(
            actor=MUNICIPALITY,
            handover_id=hid,
            by_org=MUNICIPALITY,
            reason_code=DeclineReason.OUT_OF_AREA,
        )
    )
    assert h.state.handovers[hid].status is HandoverStatus.DECLINED
    assert not is_party(h.state, MUNICIPALITY)
    assert not agency_may_see(h.state, MUNICIPALITY, h.now)
    assert is_party(h.state, HOSPITAL)  # the sender must resolve the decline

    h.do(RedirectHandover(actor="cw-1", handover_id=hid, to_org=OTHER))
    assert agency_may_see(h.state, OTHER, h.now)
    assert not agency_may_see(h.state, MUNICIPALITY, h.now)


def test_a_completed_handover_leaves_the_receiver_in_charge_and_nobody_else() -> None:
    h = _pathway()
    _consent(h, "org-unrelated")
    hid = _request(h, MUNICIPALITY)
    h.do(AcceptHandover(actor=MUNICIPALITY, handover_id=hid, by_org=MUNICIPALITY))
    h.do(RecordFirstContact(actor="w-9", handover_id=hid, by_org=MUNICIPALITY))
    assert h.state.handovers[hid].status is HandoverStatus.AWAITING_MEETING
    assert agency_may_see(h.state, MUNICIPALITY, h.now)  # still owes the meeting
    h.do(warm_meeting(hid))
    assert h.state.handovers[hid].status is HandoverStatus.COMPLETED
    # The receiver now holds the track: its own care relationship.
    assert agency_may_see(h.state, MUNICIPALITY, h.now)
    assert not agency_may_see(h.state, "org-unrelated", h.now)


def test_a_case_worker_reads_only_as_the_coordinator_of_the_coordinators_organisation() -> None:
    h = _pathway()  # coordinated by cw-1 of org-coord
    assert caseworker_may_see(h.state, "cw-1", "org-coord")
    # The same worker id in another organisation is another person.
    assert not caseworker_may_see(h.state, "cw-1", MUNICIPALITY)
    assert not caseworker_may_see(h.state, "cw-2", "org-coord")
    for org, allowed in (("org-coord", True), (MUNICIPALITY, False)):
        principal = Principal(
            token_id="tok-1", role=Role.CASEWORKER, organisation_id=org, subject_id="cw-1"
        )
        assert may_read_pathway(principal, h.state, h.now) is allowed
