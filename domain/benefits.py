"""Benefit and status decisions, and funding periods of support.

A benefit or status change (early retirement, invalidity) never closes the employment track by
itself (R-10): it raises a required, explicit continuation decision that records the person's wish.
A funding period's end raises a "re-fund or hand over" task; support itself continues.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict

from domain.ids import FundingId, OrgId
from domain.tracks import Track


class BenefitKind(StrEnum):
    """Benefit or status decisions the seed countries name."""

    INCOME_SUPPORT = "income_support"
    DISABILITY_BENEFIT = "disability_benefit"
    SICKNESS_BENEFIT = "sickness_benefit"
    INVALIDITY_PENSION = "invalidity_pension"
    EARLY_RETIREMENT = "early_retirement"  # DK førtidspension, NL/DE equivalents
    FLEX_JOB_APPROVED = "flex_job_approved"
    WORK_CAPABILITY_ASSESSED = "work_capability_assessed"


STATUS_CHANGING = frozenset({BenefitKind.EARLY_RETIREMENT, BenefitKind.INVALIDITY_PENSION})
"""Decisions that in practice 'park' people (seeds l.1107-1109) and so need an explicit decision
on the employment track."""


class BenefitDecision(BaseModel):
    """An external decision recorded on the income track."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    decision_id: str
    kind: BenefitKind
    authority_org: OrgId
    recorded_at: AwareDatetime
    valid_until: AwareDatetime | None = None


class ContinuationPending(BaseModel):
    """A status change that still needs an explicit employment-track decision."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    decision_id: str
    kind: BenefitKind
    required_since: AwareDatetime


class FundingOutcome(StrEnum):
    """What was decided ahead of a funding period's end."""

    EXTENDED = "extended"
    HANDED_OVER = "handed_over"
    SUPPORT_CONTINUES_UNFUNDED = "support_continues_unfunded"


class FundingPeriod(BaseModel):
    """A funded trajectory (e.g. UWV IPS trajectory of 36 months) for one track."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    funding_id: FundingId
    funder_org: OrgId
    track: Track
    ends_at: AwareDatetime
    reviewed: bool = False
