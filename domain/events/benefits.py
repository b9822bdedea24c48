"""Benefit, status-decision and funding events."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime

from domain.benefits import BenefitKind, FundingOutcome
from domain.events.base import Event
from domain.ids import FundingId, OrgId
from domain.personal import PersonalText
from domain.tracks import Track


class BenefitDecisionRecorded(Event):
    """An authority's benefit or status decision was recorded on the income track."""

    type: Literal["BenefitDecisionRecorded"] = "BenefitDecisionRecorded"
    decision_id: str
    kind: BenefitKind
    authority_org: OrgId
    valid_until: AwareDatetime | None = None


class EmploymentContinuationDecisionRequired(Event):
    """A status change needs an explicit decision on the employment track (R-10)."""

    type: Literal["EmploymentContinuationDecisionRequired"] = (
        "EmploymentContinuationDecisionRequired"
    )
    decision_id: str
    kind: BenefitKind


class EmploymentTrackContinuationDecided(Event):
    """The employment track's future was decided, recording the person's stated wish."""

    type: Literal["EmploymentTrackContinuationDecided"] = "EmploymentTrackContinuationDecided"
    decision_id: str
    continue_track: bool
    person_wish: PersonalText
    decided_by_role: str


class FundingPeriodRecorded(Event):
    """A funded trajectory for a track was recorded with its end date."""

    type: Literal["FundingPeriodRecorded"] = "FundingPeriodRecorded"
    funding_id: FundingId
    funder_org: OrgId
    track: Track
    ends_at: AwareDatetime


class FundingReviewed(Event):
    """Ahead of a funding end it was decided to extend, hand over, or continue unfunded."""

    type: Literal["FundingReviewed"] = "FundingReviewed"
    funding_id: FundingId
    outcome: FundingOutcome
    new_ends_at: AwareDatetime | None = None
