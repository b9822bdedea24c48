"""Pause-aware time arithmetic.

Pathway clocks stop while the pathway is paused (readmission) and a handover's clocks stop while it
is on hold. A clock is a start instant plus a duration of *running* time; these functions turn that
into a wall-clock due instant given the pause intervals.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict


class Interval(BaseModel):
    """A stretch of time; ``end`` is None while it is still running."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: AwareDatetime
    end: AwareDatetime | None = None


def due_after(start: datetime, running: timedelta, pauses: Iterable[Interval]) -> datetime | None:
    """Return when ``running`` time has passed since ``start``, not counting paused time.

    Args:
        start: when the clock started.
        running: how much un-paused time the clock allows.
        pauses: intervals during which the clock stands still (may overlap, in any order).

    Returns:
        The due instant, or None when the clock is frozen in a pause that has not ended yet
        (the due instant is not known until it ends).
    """
    at = start
    remaining = running
    for pause in sorted(pauses, key=lambda p: p.start):
        if pause.end is not None and pause.end <= at:
            continue
        if pause.start > at:
            gap = pause.start - at
            if remaining <= gap:
                return at + remaining
            remaining -= gap
            at = pause.start
        if pause.end is None:
            return None
        at = max(at, pause.end)
    return at + remaining


def running_time(start: datetime, end: datetime, pauses: Iterable[Interval]) -> timedelta:
    """Return the time between ``start`` and ``end`` that was not paused."""
    total = end - start
    covered_until = start
    paused = timedelta(0)
    for pause in sorted(pauses, key=lambda p: p.start):
        p_start = max(pause.start, covered_until)
        p_end = min(pause.end or end, end)
        if p_end > p_start:
            paused += p_end - p_start
            covered_until = p_end
    return max(total - paused, timedelta(0))
