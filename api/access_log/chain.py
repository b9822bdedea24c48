"""The access log's chain hash: sha256(tag || previous hash || canonical entry)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from uuid import UUID

from api.access_log.models import AccessEntry
from eventstore.hashing import canonical_json, micros_since_epoch

GENESIS = bytes(32)
_ADDED_LATER = frozenset({"status", "reason"})


def _unset(entry: AccessEntry) -> frozenset[str]:
    return frozenset(name for name in _ADDED_LATER if getattr(entry, name) is None)


_TAG = b"pathways-access-v1"


def entry_hash(
    previous: bytes, *, seq: int, entry_id: UUID, recorded_at: datetime, entry: AccessEntry
) -> bytes:
    """Chain one entry to the one before it (any change to a stored column changes the hash)."""
    # Entries written before status and reason were recorded (migration 0007) hashed without
    # them; leaving them out while unset keeps those entries' hashes what they were.
    body = {
        **entry.model_dump(mode="json", exclude=set(_unset(entry))),
        "seq": seq,
        "entry_id": str(entry_id),
        "recorded_at_us": micros_since_epoch(recorded_at),
    }
    return hashlib.sha256(_TAG + previous + canonical_json(body).encode()).digest()
