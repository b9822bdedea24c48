"""Consent decides, part by part, what an agency sees of a pathway."""

from __future__ import annotations

from datetime import timedelta

from domain.commands import GrantConsent, RecordAdmission, RecordLegalBasis, WithdrawConsent
from domain.consent import DataCategory, Purpose
from domain.events import ConsentGranted
from domain.sharing_scope import ViewPart, agency_view_scope
from tests.unit.domain.support import Harness, only

IPS = "org-ips"
HOSPITAL = "org-hospital"


def _admitted() -> Harness:
    h = Harness()
    h.open(clinical=HOSPITAL, social="org-gemeente")
    h.do(RecordAdmission(actor="cw-1", hospital_org=HOSPITAL, ward_type="acute"))
    return h


def _grant(h: Harness, org: str, purpose: Purpose, *categories: DataCategory) -> str:
    events = h.do(
        GrantConsent(
            actor="person",
            recipient_org=org,
            purpose=purpose,
            data_categories=frozenset(categories),
            expires_at=h.now + timedelta(days=30),
        )
    )
    return only(events, ConsentGranted).consent_id


def test_an_employment_consent_does_not_reveal_who_gives_psychiatric_care() -> None:
    h = _admitted()
    _grant(h, IPS, Purpose.EMPLOYMENT_SUPPORT, DataCategory.EMPLOYMENT_HISTORY)

    scope = agency_view_scope(h.state, IPS, h.now)

    assert scope.shows(ViewPart.EMPLOYMENT_TRACK)
    assert not scope.shows(ViewPart.CLINICAL_TRACK)
    assert not scope.shows(ViewPart.SUPPORT_GAPS)
    clinical = next(w for w in scope.withheld if w.part is ViewPart.CLINICAL_TRACK)
    assert clinical.data_category is DataCategory.CARE_PLAN
    assert Purpose.HANDOVER in clinical.purposes
    assert "care_plan" in clinical.reason


def test_a_care_plan_consent_for_the_wrong_purpose_shows_nothing_more() -> None:
    h = _admitted()
    _grant(h, IPS, Purpose.BENEFIT_ASSESSMENT, DataCategory.CARE_PLAN)

    scope = agency_view_scope(h.state, IPS, h.now)

    assert not scope.shows(ViewPart.CLINICAL_TRACK)
    assert not scope.shows(ViewPart.SOCIAL_TRACK)


def test_a_care_plan_consent_for_the_handover_shows_the_care_tracks() -> None:
    h = _admitted()
    _grant(h, IPS, Purpose.HANDOVER, DataCategory.CARE_PLAN)

    scope = agency_view_scope(h.state, IPS, h.now)

    assert {ViewPart.CLINICAL_TRACK, ViewPart.SOCIAL_TRACK, ViewPart.SUPPORT_GAPS} <= scope.visible
    assert not scope.shows(ViewPart.EMPLOYMENT_TRACK)


def test_a_withdrawn_or_expired_consent_stops_showing_the_part() -> None:
    h = _admitted()
    consent_id = _grant(h, IPS, Purpose.HANDOVER, DataCategory.CARE_PLAN)
    h.advance(timedelta(days=31))
    assert not agency_view_scope(h.state, IPS, h.now).shows(ViewPart.CLINICAL_TRACK)

    h2 = _admitted()
    consent_id = _grant(h2, IPS, Purpose.HANDOVER, DataCategory.CARE_PLAN)
    h2.do(WithdrawConsent(actor="person", consent_id=consent_id))
    assert not agency_view_scope(h2.state, IPS, h2.now).shows(ViewPart.CLINICAL_TRACK)


def test_a_legal_basis_covers_like_a_consent() -> None:
    h = _admitted()
    h.do(
        RecordLegalBasis(
            actor="cw-1",
            recipient_org=IPS,
            purpose=Purpose.CARE_COORDINATION,
            data_categories=frozenset({DataCategory.CARE_PLAN}),
            legal_reference="statutory duty",
        )
    )

    assert agency_view_scope(h.state, IPS, h.now).shows(ViewPart.CLINICAL_TRACK)


def test_an_agency_sees_its_own_track_and_the_coordinator_sees_everything() -> None:
    h = _admitted()

    hospital = agency_view_scope(h.state, HOSPITAL, h.now)
    coordinator = agency_view_scope(h.state, "org-coord", h.now)

    assert hospital.shows(ViewPart.CLINICAL_TRACK)
    assert not hospital.shows(ViewPart.SOCIAL_TRACK)
    assert coordinator.visible == frozenset(ViewPart)
    assert coordinator.withheld == ()
