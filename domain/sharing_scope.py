"""Which parts of a pathway an agency may see, and which consent would show it the rest.

Being a party to a pathway (it owes or awaits a step in a handover, holds a track, coordinates)
lets an agency see that the pathway exists, its status, the coordinating organisation and its
own handovers: what it needs to act. Everything else is information about the person that goes
to the agency only under an active consent or a recorded legal basis covering that recipient,
a purpose and the part's data category (R-05; GDPR Art. 9: who provides someone's psychiatric
care is health information). An agency always sees the tracks it is responsible for (its own
record), and the coordinating organisation sees the whole route it coordinates.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain.consent import DataCategory, Purpose, may_share
from domain.state import PathwayState
from domain.tracks import Track


class ViewPart(StrEnum):
    """A part of the agency's view of a pathway that consent decides on."""

    CLINICAL_TRACK = "clinical_track"
    SOCIAL_TRACK = "social_track"
    EMPLOYMENT_TRACK = "employment_track"
    INCOME_TRACK = "income_track"
    SUPPORT_GAPS = "support_gaps"


TRACK_PART = {
    Track.CLINICAL: ViewPart.CLINICAL_TRACK,
    Track.SOCIAL: ViewPart.SOCIAL_TRACK,
    Track.EMPLOYMENT: ViewPart.EMPLOYMENT_TRACK,
    Track.INCOME: ViewPart.INCOME_TRACK,
}

_CARE = (Purpose.HANDOVER, Purpose.CARE_COORDINATION)

PART_SCOPE: dict[ViewPart, tuple[DataCategory, tuple[Purpose, ...]]] = {
    # Who treats the person in psychiatric care is health information: the care plan's category.
    ViewPart.CLINICAL_TRACK: (DataCategory.CARE_PLAN, _CARE),
    ViewPart.SOCIAL_TRACK: (DataCategory.CARE_PLAN, _CARE),
    ViewPart.EMPLOYMENT_TRACK: (
        DataCategory.EMPLOYMENT_HISTORY,
        (*_CARE, Purpose.EMPLOYMENT_SUPPORT),
    ),
    ViewPart.INCOME_TRACK: (DataCategory.BENEFIT_STATUS, (*_CARE, Purpose.BENEFIT_ASSESSMENT)),
    # Open support gaps tell that the person is without a service: part of the care plan.
    ViewPart.SUPPORT_GAPS: (DataCategory.CARE_PLAN, _CARE),
}
"""Each part's data category, and the purposes under which sharing it serves the agency."""


class WithheldPart(BaseModel):
    """A part not shown, and the consent (or legal basis) that would show it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    part: ViewPart
    data_category: DataCategory
    purposes: tuple[Purpose, ...]
    reason: str


class ViewScope(BaseModel):
    """What one agency may see of one pathway now."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    visible: frozenset[ViewPart]
    withheld: tuple[WithheldPart, ...]

    def shows(self, part: ViewPart) -> bool:
        """True when ``part`` may be shown."""
        return part in self.visible


def agency_view_scope(state: PathwayState, org: str, now: datetime) -> ViewScope:
    """Decide part by part what ``org`` may see of the pathway at ``now``.

    The caller has already decided that ``org`` may see the pathway at all (it is a party and
    some sharing covers it); this decides the parts beyond what it needs to act.
    """
    coordinates = state.coordinator is not None and state.coordinator.org_id == org
    own_tracks = {TRACK_PART[t.track] for t in state.active_tracks() if t.responsible_org == org}
    visible: set[ViewPart] = set()
    withheld: list[WithheldPart] = []
    for part, (category, purposes) in PART_SCOPE.items():
        if coordinates or part in own_tracks or _shared(state, org, category, purposes, now):
            visible.add(part)
            continue
        withheld.append(
            WithheldPart(
                part=part,
                data_category=category,
                purposes=purposes,
                reason=(
                    f"no active consent or legal basis for {category.value} to {org} for "
                    + " or ".join(p.value for p in purposes)
                ),
            )
        )
    return ViewScope(visible=frozenset(visible), withheld=tuple(withheld))


def _shared(
    state: PathwayState,
    org: str,
    category: DataCategory,
    purposes: tuple[Purpose, ...],
    now: datetime,
) -> bool:
    return any(
        may_share(
            state.consents,
            state.legal_bases,
            recipient_org=org,
            purpose=purpose,
            category=category,
            at=now,
        ).allowed
        for purpose in purposes
    )
