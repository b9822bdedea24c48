"""The verifier's link hash from microseconds equals the one from the recording time."""

from __future__ import annotations

from datetime import UTC, datetime

from eventstore.hashing import link_hash, link_hash_micros, micros_since_epoch


def test_link_hash_from_micros_matches_link_hash_from_datetime() -> None:
    moment = datetime(2025, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
    previous, content = bytes(range(32)), bytes(reversed(range(32)))

    assert link_hash(
        previous, version=7, position=99, recorded_at=moment, content=content
    ) == link_hash_micros(
        previous,
        version=7,
        position=99,
        recorded_micros=micros_since_epoch(moment),
        content=content,
    )
