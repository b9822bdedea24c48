"""The pure row derivation: what one pathway's events imply for each projection table."""

from __future__ import annotations

from datetime import timedelta

from api.projections.facts import OutcomeFacts, evolve_facts
from api.projections.rows import derive_rows, overdue_keys, stage_of, template_of
from api.projections.tables import AGENCY_INBOX, CASELOAD, OUTCOME_DISCHARGES, PARTIES
from domain import PathwayState, fold
from domain.commands import (
    AcceptHandover,
    AcknowledgeHandover,
    GrantConsent,
    MarkDeadlineMissed,
    RecordAdmission,
    RecordDischarge,
    RecordFirstContact,
    RequestHandover,
)
from domain.consent import DataCategory, Purpose
from domain.escalation import DeadlineKind
from domain.tracks import Responsibility
from tests.unit.domain.support import Harness


def _route() -> Harness:
    h = Harness("fast", "p-rows")
    h.open(clinical="org-hospital")
    h.do(RecordAdmission(actor="ward", hospital_org="org-hospital", ward_type="acute"))
    h.advance(timedelta(days=3))
    h.do(RecordDischarge(actor="ward", suicide_risk_identified=False))
    h.do(
        GrantConsent(
            actor="person",
            recipient_org="org-muni",
            purpose=Purpose.HANDOVER,
            data_categories=frozenset({DataCategory.CARE_PLAN}),
            expires_at=h.now + timedelta(days=365),
        )
    )
    h.do(
        RequestHandover(
            actor="cw-1",
            handover_id="h-social",
            responsibility=Responsibility.SOCIAL,
            from_org="org-hospital",
            to_org="org-muni",
        )
    )
    return h


def _facts(h: Harness) -> OutcomeFacts:
    facts = OutcomeFacts()
    for event in h.events:
        facts = evolve_facts(facts, event)
    return facts


def _rows(h: Harness) -> dict[str, list[tuple[object, ...]]]:
    derived = derive_rows(
        h.state, _facts(h), stream_version=len(h.events), template=template_of(h.state)
    )
    return derived.by_table


def test_a_requested_handover_is_in_the_receivers_inbox_with_its_next_step_due() -> None:
    h = _route()
    (row,) = _rows(h)[AGENCY_INBOX.name]
    record = dict(zip(AGENCY_INBOX.columns, row, strict=True))
    assert record["to_org"] == "org-muni"
    assert record["status"] == "requested"
    assert record["next_step_kind"] == "handover_acknowledge"
    assert record["next_step_due_at"] == h.now + timedelta(seconds=2)  # fast template SLA


def test_first_contact_completes_the_handover_and_times_the_municipal_contact() -> None:
    h = _route()
    discharged_at = h.state.clinical.last_discharge.discharged_at  # type: ignore[union-attr]
    h.do(AcknowledgeHandover(actor="m", handover_id="h-social", by_org="org-muni"))
    h.do(AcceptHandover(actor="m", handover_id="h-social", by_org="org-muni"))
    h.advance(timedelta(hours=5))
    h.do(RecordFirstContact(actor="m", handover_id="h-social", by_org="org-muni"))
    rows = _rows(h)
    inbox = dict(zip(AGENCY_INBOX.columns, rows[AGENCY_INBOX.name][0], strict=True))
    assert inbox["status"] == "completed"
    assert inbox["next_step_kind"] is None
    (discharge,) = rows[OUTCOME_DISCHARGES.name]
    assert discharge[2:] == (discharged_at, discharged_at + timedelta(hours=5))
    caseload = dict(zip(CASELOAD.columns, rows[CASELOAD.name][0], strict=True))
    assert caseload["responsible_social"] == "org-muni"
    assert caseload["stage"] == "municipal_support"
    parties = {(r[1], r[2], r[3]): r[4] for r in rows[PARTIES.name]}
    assert parties[("org-muni", "receiver", "h-social")] is False  # the loop is closed
    assert parties[("org-muni", "responsible", "social")] is True
    assert parties[("org-hospital", "sender", "h-social")] is False


def test_a_missed_step_stays_overdue_until_it_happens() -> None:
    h = _route()
    h.advance(timedelta(seconds=3))
    h.do(
        MarkDeadlineMissed(
            actor="system",
            kind=DeadlineKind.HANDOVER_ACKNOWLEDGE,
            subject="h-social",
            escalation_level=1,
        )
    )
    assert overdue_keys(h.state, template_of(h.state)) == ["handover_acknowledge:h-social"]
    caseload = dict(zip(CASELOAD.columns, _rows(h)[CASELOAD.name][0], strict=True))
    assert caseload["overdue_steps"] == 1
    assert caseload["at_risk"] is True
    h.do(AcknowledgeHandover(actor="m", handover_id="h-social", by_org="org-muni"))
    assert overdue_keys(h.state, template_of(h.state)) == []


def test_rows_depend_on_the_events_only_not_on_how_they_were_folded() -> None:
    h = _route()
    refolded = fold(h.events, PathwayState.new("p-rows"))
    restored = PathwayState.model_validate_json(refolded.model_dump_json())
    assert restored == h.state
    again = derive_rows(
        restored, _facts(h), stream_version=len(h.events), template=template_of(restored)
    )
    assert again.by_table == _rows(h)


def test_the_stage_follows_the_route() -> None:
    h = Harness("fast", "p-stage")
    h.open(clinical="org-hospital")
    assert stage_of(h.state) == "entry"
    h.do(RecordAdmission(actor="ward", hospital_org="org-hospital", ward_type="acute"))
    assert stage_of(h.state) == "inpatient"
    h.do(RecordDischarge(actor="ward", suicide_risk_identified=False))
    assert stage_of(h.state) == "discharge_transition"
