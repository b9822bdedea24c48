"""The state of one pathway: the fold of its events.

Frozen models only. ``evolve`` replaces parts with ``model_copy(update=...)``; the dicts inside are
never mutated after construction (copy-on-write), so an old state stays valid after the next event.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict

from domain.benefits import BenefitDecision, ContinuationPending, FundingPeriod
from domain.clock import Interval
from domain.consent import Consent, DisclosurePreference, LegalBasis
from domain.employment import Employment
from domain.gaps import SupportGap
from domain.handover import Handover
from domain.ids import OrgId, PathwayId, WorkerId
from domain.tracks import Track, TrackStatus


class PathwayStatus(StrEnum):
    """Macro lifecycle of a pathway (seeds-domain 7.3)."""

    NEW = "new"  # nothing happened yet
    ACTIVE = "active"
    PAUSED = "paused"
    CLOSED = "closed"


class PauseReason(StrEnum):
    """Why a pathway is paused."""

    READMISSION = "readmission"
    PERSON_REQUEST = "person_request"
    OTHER = "other"


class EntryChannel(StrEnum):
    """How the person came into the pathway (S0)."""

    HOSPITAL = "hospital"
    GP = "gp"
    JOB_CENTRE = "job_centre"
    SELF = "self"
    PEER = "peer"
    WISE = "wise"


class CloseReason(StrEnum):
    """Reasons a pathway may be closed. No time limit, no missed appointments (IPS item 25)."""

    PERSON_REQUEST = "person_request"
    GOALS_REACHED = "goals_reached"
    MOVED_AWAY = "moved_away"
    TRANSFERRED_OUT = "transferred_out"
    DECEASED = "deceased"
    OPENED_IN_ERROR = "opened_in_error"


class ClinicalPhase(StrEnum):
    """Clinical track phase (seeds-domain 7.3)."""

    NONE = "none"
    INPATIENT = "inpatient"
    DISCHARGED_AWAITING_FOLLOW_UP = "discharged_awaiting_follow_up"
    COMMUNITY = "community"


class Coordinator(BaseModel):
    """The one coordinating case worker (R-11)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    worker_id: WorkerId
    org_id: OrgId
    since: AwareDatetime


class TrackState(BaseModel):
    """One parallel track and who is responsible for it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    track: Track
    status: TrackStatus = TrackStatus.INACTIVE
    responsible_org: OrgId | None = None
    service_active: bool = False
    held_for_handover: str | None = None
    started_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None


class Discharge(BaseModel):
    """The latest discharge and whether its follow-up contact happened."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    discharge_id: str
    discharged_at: AwareDatetime
    suicide_risk_identified: bool
    followed_up_at: AwareDatetime | None = None


class Clinical(BaseModel):
    """Clinical facts of the pathway."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    phase: ClinicalPhase = ClinicalPhase.NONE
    hospital_org: OrgId | None = None
    admissions: int = 0
    last_discharge: Discharge | None = None


class ShareRecord(BaseModel):
    """One recorded share of information, for the person's own view."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    recipient_org: OrgId
    data_categories: frozenset[str]
    purpose: str
    consent_id: str | None
    legal_basis_id: str | None
    shared_at: AwareDatetime


def _all_tracks() -> dict[Track, TrackState]:
    return {track: TrackState(track=track) for track in Track}


class PathwayState(BaseModel):
    """Everything the domain knows about one person's pathway."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pathway_id: PathwayId
    version: int = 0  # number of events folded in
    status: PathwayStatus = PathwayStatus.NEW
    template_id: str | None = None
    template_version: int | None = None
    opened_at: AwareDatetime | None = None
    closed_at: AwareDatetime | None = None
    close_reason: CloseReason | None = None
    coordinator: Coordinator | None = None
    coordinator_changes: int = 0
    supervisor_id: WorkerId | None = None
    tracks: dict[Track, TrackState] = {}
    pause_reason: PauseReason | None = None
    pauses: tuple[Interval, ...] = ()
    clinical: Clinical = Clinical()
    handovers: dict[str, Handover] = {}
    gaps: dict[str, SupportGap] = {}
    consents: dict[str, Consent] = {}
    legal_bases: dict[str, LegalBasis] = {}
    disclosure: DisclosurePreference | None = None
    shares: tuple[ShareRecord, ...] = ()
    employment: Employment = Employment()
    benefits: tuple[BenefitDecision, ...] = ()
    continuation_pending: ContinuationPending | None = None
    funding: dict[str, FundingPeriod] = {}
    escalations: dict[str, int] = {}  # deadline key -> highest escalation level reached
    work_aspirations: int = 0

    @classmethod
    def new(cls, pathway_id: str) -> PathwayState:
        """The state of a pathway before its first event."""
        return cls(pathway_id=pathway_id, tracks=_all_tracks())

    @property
    def is_live(self) -> bool:
        """True while active or paused: the invariants of DESIGN.md apply."""
        return self.status in (PathwayStatus.ACTIVE, PathwayStatus.PAUSED)

    def track(self, track: Track) -> TrackState:
        """The state of one track."""
        return self.tracks.get(track) or TrackState(track=track)

    def active_tracks(self) -> list[TrackState]:
        """Active tracks in catalogue order."""
        return [t for t in (self.track(k) for k in Track) if t.status is TrackStatus.ACTIVE]

    def open_handover_for(self, responsibility: str) -> Handover | None:
        """The open handover moving ``responsibility``, if any (at most one by rule)."""
        for handover in self.handovers.values():
            if handover.responsibility == responsibility and handover.is_open:
                return handover
        return None

    def current_pause_started(self) -> datetime | None:
        """When the running pause began, or None when not paused."""
        if self.pauses and self.pauses[-1].end is None:
            return self.pauses[-1].start
        return None
