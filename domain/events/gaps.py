"""Support-gap events (R-03, R-15)."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from domain.events.base import Event
from domain.gaps import BridgeRole, GapTrigger
from domain.ids import GapId, HandoverId
from domain.tracks import Track


class SupportGapOpened(Event):
    """No receiving service is running: the gap timer starts."""

    type: Literal["SupportGapOpened"] = "SupportGapOpened"
    gap_id: GapId
    trigger: GapTrigger
    track: Track | None = None


class SupportGapBridged(Event):
    """Someone made a bridging contact while the gap was open."""

    type: Literal["SupportGapBridged"] = "SupportGapBridged"
    gap_id: GapId
    by_role: BridgeRole


class SupportGapClosed(Event):
    """A first contact closed the gap; ``duration`` is wall-clock time, pauses included."""

    type: Literal["SupportGapClosed"] = "SupportGapClosed"
    gap_id: GapId
    closed_by_handover_id: HandoverId | None = None  # None: its track ended by decision
    duration: timedelta
