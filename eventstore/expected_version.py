"""Expected-version sentinels for optimistic concurrency on append."""

from __future__ import annotations

from enum import Enum
from typing import Final


class ExpectedVersion(Enum):
    """What the caller expects of a stream when it is not an exact last version."""

    ANY = "any"
    """No check: append after whatever the stream holds (creating it if needed)."""

    NO_STREAM = "no_stream"
    """The stream must not exist yet (the same as expecting version 0)."""

    STREAM_EXISTS = "stream_exists"
    """The stream must hold at least one event, whatever its last version."""


ANY: Final = ExpectedVersion.ANY
NO_STREAM: Final = ExpectedVersion.NO_STREAM
STREAM_EXISTS: Final = ExpectedVersion.STREAM_EXISTS


def describe(expected: int | ExpectedVersion) -> str:
    """Render an expected version for error messages ("version 3", "no stream")."""
    if isinstance(expected, ExpectedVersion):
        return expected.value.replace("_", " ")
    return "no stream" if expected == 0 else f"version {expected}"
