"""Consent, legal bases and the person's disclosure preference towards employers.

Information goes to another agency only under an active consent (per recipient, purpose and data
category, with expiry) or a recorded legal basis. Disclosure to an employer is a separate decision
owned by the person (seeds-domain section 8).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict

from domain.ids import ConsentId, OrgId


class Purpose(StrEnum):
    """Why information would be shared."""

    HANDOVER = "handover"
    CARE_COORDINATION = "care_coordination"
    EMPLOYMENT_SUPPORT = "employment_support"
    BENEFIT_ASSESSMENT = "benefit_assessment"


class DataCategory(StrEnum):
    """What kind of information would be shared."""

    CONTACT_DETAILS = "contact_details"
    FUNCTIONAL_NEEDS = "functional_needs"  # work-relevant needs and adjustments, no diagnosis
    CARE_PLAN = "care_plan"
    DISCHARGE_SUMMARY = "discharge_summary"
    DIAGNOSIS = "diagnosis"
    EMPLOYMENT_HISTORY = "employment_history"
    BENEFIT_STATUS = "benefit_status"


class ConsentStatus(StrEnum):
    """Lifecycle of one consent."""

    GRANTED = "granted"
    WITHDRAWN = "withdrawn"


class Consent(BaseModel):
    """A consent the person gave to one recipient for one purpose and some data categories."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    consent_id: ConsentId
    recipient_org: OrgId
    purpose: Purpose
    data_categories: frozenset[DataCategory]
    granted_at: AwareDatetime
    expires_at: AwareDatetime
    status: ConsentStatus = ConsentStatus.GRANTED

    def is_active(self, at: datetime) -> bool:
        """True when granted, not withdrawn and not expired at ``at``."""
        return self.status is ConsentStatus.GRANTED and self.granted_at <= at < self.expires_at

    def covers(self, recipient_org: str, purpose: Purpose, category: DataCategory) -> bool:
        """True when this consent's scope includes the recipient, purpose and category."""
        return (
            self.recipient_org == recipient_org
            and self.purpose is purpose
            and category in self.data_categories
        )


class LegalBasis(BaseModel):
    """A recorded legal basis for sharing without consent (e.g. a statutory duty)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    basis_id: str
    recipient_org: OrgId
    purpose: Purpose
    data_categories: frozenset[DataCategory]
    # Always None since LegalBasisRecorded v2 made the reference personal: the state is kept in
    # places erasure does not reach (the projections' working memory, Temporal's carried state),
    # so it holds no personal text; the reference stays in the event, encrypted. The field stays
    # so that a state carried by a run from before can still be read.
    legal_reference: str | None = None
    recorded_at: AwareDatetime


class DisclosureLevel(StrEnum):
    """How much the person wants an employer to know."""

    NONE = "none"
    PARTIAL = "partial"  # functional needs and adjustments only
    FULL = "full"  # also that there is a mental-health condition; still never clinical detail


EMPLOYER_CATEGORIES = {
    DisclosureLevel.NONE: frozenset[DataCategory](),
    DisclosureLevel.PARTIAL: frozenset({DataCategory.FUNCTIONAL_NEEDS}),
    DisclosureLevel.FULL: frozenset({DataCategory.FUNCTIONAL_NEEDS, DataCategory.DIAGNOSIS}),
}


class DisclosurePreference(BaseModel):
    """The person's current decision about what employers may be told."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    level: DisclosureLevel
    employer_ids: frozenset[str] = frozenset()  # empty: applies to any employer
    recorded_at: AwareDatetime


class SharingBasis(BaseModel):
    """The answer of ``may_share``: allowed or not, and under what."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    allowed: bool
    consent_id: ConsentId | None = None
    legal_basis_id: str | None = None
    disclosure_level: DisclosureLevel | None = None
    reason: str


def may_share(
    consents: dict[str, Consent],
    legal_bases: dict[str, LegalBasis],
    *,
    recipient_org: str,
    purpose: Purpose,
    category: DataCategory,
    at: datetime,
) -> SharingBasis:
    """Decide whether one data category may go to an agency for a purpose at a moment.

    An active consent wins over a legal basis, so the share records the person's own choice when
    there is one.
    """
    for consent in sorted(consents.values(), key=lambda c: c.consent_id):
        if consent.covers(recipient_org, purpose, category) and consent.is_active(at):
            return SharingBasis(
                allowed=True, consent_id=consent.consent_id, reason="active consent"
            )
    for basis in sorted(legal_bases.values(), key=lambda b: b.basis_id):
        if (
            basis.recipient_org == recipient_org
            and basis.purpose is purpose
            and category in basis.data_categories
        ):
            return SharingBasis(
                allowed=True, legal_basis_id=basis.basis_id, reason="recorded legal basis"
            )
    return SharingBasis(
        allowed=False,
        reason=(
            f"no active consent or legal basis for {category.value} to {recipient_org} "
            f"for {purpose.value}"
        ),
    )


def may_disclose_to_employer(
    preference: DisclosurePreference | None, *, employer_id: str, category: DataCategory
) -> SharingBasis:
    """Decide whether one data category may go to an employer, by the person's preference only."""
    if preference is None:
        return SharingBasis(allowed=False, reason="no disclosure preference recorded")
    if preference.employer_ids and employer_id not in preference.employer_ids:
        return SharingBasis(
            allowed=False,
            disclosure_level=preference.level,
            reason=f"disclosure preference does not cover employer {employer_id}",
        )
    if category in EMPLOYER_CATEGORIES[preference.level]:
        return SharingBasis(
            allowed=True, disclosure_level=preference.level, reason="person's disclosure choice"
        )
    return SharingBasis(
        allowed=False,
        disclosure_level=preference.level,
        reason=f"disclosure level {preference.level.value} does not include {category.value}",
    )
