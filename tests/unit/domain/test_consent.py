"""Consent gates sharing; disclosure to employers is the person's own decision."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.commands import (
    GrantConsent,
    RecordDisclosurePreference,
    RecordLegalBasis,
    RequestHandover,
    ResumeHandover,
    ShareInformation,
    WithdrawConsent,
)
from domain.consent import DataCategory, DisclosureLevel, Purpose
from domain.errors import ConsentRequiredError
from domain.events import ConsentGranted, HandoverRequested, InformationShared
from domain.handover import HandoverStatus, HoldReason
from domain.tracks import Responsibility
from tests.unit.domain.support import Harness, only

CARE_PLAN = frozenset({DataCategory.CARE_PLAN})


def grant(h: Harness, org: str = "org-gemeente", days: int = 90) -> str:
    events = h.do(
        GrantConsent(
            actor="person",
            recipient_org=org,
            purpose=Purpose.HANDOVER,
            data_categories=CARE_PLAN,
            expires_at=h.now + timedelta(days=days),
        )
    )
    return only(events, ConsentGranted).consent_id


def share(h: Harness, org: str = "org-gemeente") -> list[InformationShared]:
    events = h.do(
        ShareInformation(
            actor="cw-1", recipient_org=org, purpose=Purpose.HANDOVER, data_categories=CARE_PLAN
        )
    )
    return [e for e in events if isinstance(e, InformationShared)]


def test_nothing_is_shared_without_consent_or_legal_basis() -> None:
    h = Harness()
    h.open()
    with pytest.raises(ConsentRequiredError, match="no active consent or legal basis"):
        share(h)


def test_an_active_consent_allows_sharing_and_is_named_in_the_share() -> None:
    h = Harness()
    h.open()
    consent_id = grant(h)
    (shared,) = share(h)
    assert shared.consent_id == consent_id


def test_an_expired_consent_no_longer_allows_sharing() -> None:
    h = Harness()
    h.open()
    grant(h, days=1)
    h.advance(timedelta(days=2))
    with pytest.raises(ConsentRequiredError):
        share(h)


def test_a_recorded_legal_basis_allows_sharing() -> None:
    h = Harness()
    h.open()
    h.do(
        RecordLegalBasis(
            actor="cw-1",
            recipient_org="org-gemeente",
            purpose=Purpose.HANDOVER,
            data_categories=CARE_PLAN,
            legal_reference="GDPR art. 9(2)(h) with national law",
        )
    )
    (shared,) = share(h)
    assert shared.legal_basis_id is not None


def test_employers_get_only_what_the_disclosure_preference_allows() -> None:
    h = Harness()
    h.open()
    employer_share = ShareInformation(
        actor="es-1",
        recipient_org="emp-1",
        purpose=Purpose.EMPLOYMENT_SUPPORT,
        data_categories=frozenset({DataCategory.FUNCTIONAL_NEEDS}),
        to_employer=True,
    )
    with pytest.raises(ConsentRequiredError, match="no disclosure preference"):
        h.do(employer_share)
    h.do(RecordDisclosurePreference(actor="person", level=DisclosureLevel.PARTIAL))
    h.do(employer_share)
    with pytest.raises(ConsentRequiredError, match="does not include diagnosis"):
        h.do(
            employer_share.model_copy(
                update={"data_categories": frozenset({DataCategory.DIAGNOSIS})}
            )
        )


def test_withdrawing_consent_puts_its_handover_on_hold_until_consent_is_given_again() -> None:
    h = Harness()
    h.open(clinical="org-hospital")
    consent_id = grant(h)
    hid = only(
        h.do(
            RequestHandover(
                actor="cw-1",
                responsibility=Responsibility.SOCIAL,
                from_org="org-hospital",
                to_org="org-gemeente",
                consent_id=consent_id,
            )
        ),
        HandoverRequested,
    ).handover_id
    h.do(WithdrawConsent(actor="person", consent_id=consent_id))
    assert h.state.handovers[hid].status is HandoverStatus.ON_HOLD
    assert h.state.handovers[hid].hold_reason is HoldReason.CONSENT_WITHDRAWN
    with pytest.raises(ConsentRequiredError):
        h.do(ResumeHandover(actor="cw-1", handover_id=hid))
    new_consent = grant(h)
    h.do(ResumeHandover(actor="cw-1", handover_id=hid))
    assert h.state.handovers[hid].status is HandoverStatus.REQUESTED
    assert h.state.handovers[hid].consent_id == new_consent
