"""The parallel tracks of a pathway and the responsibilities a handover can move."""

from __future__ import annotations

from enum import StrEnum


class Track(StrEnum):
    """A line of support that runs in parallel with the others, each with one responsible org."""

    CLINICAL = "clinical"
    SOCIAL = "social"  # municipal / social services
    EMPLOYMENT = "employment"
    INCOME = "income"


class Responsibility(StrEnum):
    """What a handover moves: one track, or the coordinating case worker role."""

    CLINICAL = "clinical"
    SOCIAL = "social"
    EMPLOYMENT = "employment"
    INCOME = "income"
    COORDINATION = "coordination"

    @property
    def track(self) -> Track | None:
        """The track this responsibility belongs to, or None for coordination."""
        if self is Responsibility.COORDINATION:
            return None
        return Track(self.value)


class TrackStatus(StrEnum):
    """Lifecycle of a track inside a pathway."""

    INACTIVE = "inactive"
    ACTIVE = "active"
    ENDED = "ended"
