"""Moments the product can hold: timezone-aware and between 1900 and 2200.

PostgreSQL's ``timestamptz`` ends in the year 294276, but Python's ``datetime`` ends at 9999-12-31
in *local* time: ``9999-12-31T23:59:59-12:00`` is a valid ``datetime`` whose UTC value does not
exist, and converting it fails in the projections and in every reader. No date in a pathway is
meaningfully before 1900 or after 2200, so commands, query parameters and the CLI refuse anything
outside that range before it is stored.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Final

from pydantic import AfterValidator, AwareDatetime
from pydantic_core import PydanticCustomError

EARLIEST: Final = datetime(1900, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(2200, 1, 1, tzinfo=UTC)


def within_range(value: datetime) -> datetime:
    """Return ``value`` if it is timezone-aware and within [1900-01-01, 2200-01-01] UTC.

    Raises:
        PydanticCustomError: a ``ValueError``: naive, or outside the range.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise PydanticCustomError(
            "moment_without_offset", "must carry a timezone offset, e.g. 2026-03-03T12:00:00+01:00"
        )
    # Comparing aware datetimes works on their UTC values without building them, so a moment
    # whose UTC value is past year 9999 compares (as later) instead of overflowing.
    if not EARLIEST <= value <= LATEST:
        raise PydanticCustomError(
            "moment_out_of_range", "must be between 1900-01-01 and 2200-01-01 (UTC)"
        )
    return value


Moment = Annotated[AwareDatetime, AfterValidator(within_range)]
"""A timezone-aware moment between 1900-01-01 and 2200-01-01 UTC."""
