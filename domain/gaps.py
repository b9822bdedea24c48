"""Support gaps: periods in which no receiving service has started yet (R-03, R-15)."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict

from domain.ids import GapId
from domain.tracks import Track


class GapTrigger(StrEnum):
    """What opened the gap."""

    DISCHARGE = "discharge"
    SERVICE_ENDED = "service_ended"


class BridgeRole(StrEnum):
    """Who made a bridging contact while the gap was open."""

    COORDINATOR = "coordinator"
    PEER_SUPPORTER = "peer_supporter"
    OUTREACH = "outreach"
    CLINICAL = "clinical"


class SupportGap(BaseModel):
    """A gap is open from its trigger until the next first contact of a receiving service."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    gap_id: GapId
    trigger: GapTrigger
    track: Track | None  # None: any first contact closes it (discharge)
    opened_at: AwareDatetime
    bridges: int = 0
    last_bridged_at: AwareDatetime | None = None
    closed_at: AwareDatetime | None = None
    duration: timedelta | None = None

    @property
    def is_open(self) -> bool:
        """True until a first contact closes the gap."""
        return self.closed_at is None
