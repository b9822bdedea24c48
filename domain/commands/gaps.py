"""Support-gap commands."""

from __future__ import annotations

from typing import Literal

from domain.commands.base import Command
from domain.gaps import BridgeRole
from domain.ids import GapId


class BridgeSupportGap(Command):
    """Record a bridging contact while a gap is open."""

    type: Literal["BridgeSupportGap"] = "BridgeSupportGap"
    gap_id: GapId
    by_role: BridgeRole
