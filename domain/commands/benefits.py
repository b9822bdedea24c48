"""Benefit, status and funding commands."""

from __future__ import annotations

from typing import Literal

from domain.benefits import BenefitKind, FundingOutcome
from domain.commands.base import Command
from domain.ids import FundingId, OrgId
from domain.moments import Moment
from domain.text import Code, FreeText
from domain.tracks import Track


class RecordBenefitDecision(Command):
    """Record an authority's benefit or status decision."""

    type: Literal["RecordBenefitDecision"] = "RecordBenefitDecision"
    kind: BenefitKind
    authority_org: OrgId
    valid_until: Moment | None = None


class DecideEmploymentContinuation(Command):
    """Decide explicitly whether the employment track continues after a status change."""

    type: Literal["DecideEmploymentContinuation"] = "DecideEmploymentContinuation"
    continue_track: bool
    person_wish: FreeText
    decided_by_role: Code


class RecordFundingPeriod(Command):
    """Record a funded trajectory with its end date."""

    type: Literal["RecordFundingPeriod"] = "RecordFundingPeriod"
    funding_id: FundingId | None = None
    funder_org: OrgId
    track: Track
    ends_at: Moment


class ReviewFunding(Command):
    """Record what was decided ahead of a funding period's end."""

    type: Literal["ReviewFunding"] = "ReviewFunding"
    funding_id: FundingId
    outcome: FundingOutcome
    new_ends_at: Moment | None = None
