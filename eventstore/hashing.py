"""Canonical encodings and the hashes of the tamper-evident chain and seals.

The append function in ``migrations/0003_append_function.sql`` computes the link hash in SQL from
the content hash computed here; ``verify`` recomputes both from the stored columns. Any change to an
encoding below is a change of the on-disk format and needs a new format tag.

Two content formats exist. ``pathways-event-v1`` (``content_hash``) is a plain sha256 anybody can
recompute, kept for stores opened without a chain key. ``pathways-event-v2``
(``keyed_content_hash``) is an HMAC-SHA256 under the chain key, which PostgreSQL never holds, over
the v1 fields followed by the event's stream version: whoever holds only the database can then
neither forge an event nor re-chain a rewritten, reordered or renumbered stream. The content value
is never stored, so it cannot be copied from one row to another either.
"""

from __future__ import annotations

import functools
import hashlib
import json
import struct
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

GENESIS_HASH = bytes(32)
"""The "previous hash" of a stream's first event."""

_CONTENT_TAG = b"pathways-event-v1"
UNKEYED_CONTENT_TAG = _CONTENT_TAG
"""Format tag of the legacy unkeyed content encoding (``content_hash``)."""
KEYED_CONTENT_TAG = b"pathways-event-v2"
"""Format tag of the keyed content encoding (same length as v1's, which verify relies on)."""
_SEAL_TAG = b"pathways-seal-v1"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_INT64 = struct.Struct(">q")
_UINT64 = struct.Struct(">Q")
_LINK = struct.Struct(">qqq")


# One encoder for the process: ``json.dumps`` with non-default options builds a new encoder on
# every call, which costs more than encoding a small payload.
_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)
_NO_PERSONAL_FIELDS = b"[]"


def canonical_json(value: Any) -> str:
    """Encode ``value`` as JSON with sorted keys and no spaces, so equal values give equal text.

    Raises:
        TypeError, ValueError: ``value`` is not plain JSON (NaN, sets, objects...).
    """
    return _CANONICAL.encode(value)


def _field(data: bytes) -> bytes:
    # Length prefixes make the concatenation unambiguous ("ab"+"c" differs from "a"+"bc").
    return _INT64.pack(len(data)) + data


def content_hash(
    *,
    stream_id: str,
    event_id: UUID,
    event_type: str,
    schema_version: int,
    subject_id: str | None,
    personal_fields: Iterable[str],
    payload_json: str,
    metadata_json: str,
) -> bytes:
    """Hash everything the caller decided about one event, as stored (ciphertext included).

    Personal fields are hashed encrypted, so destroying a data key leaves every hash valid.
    """
    return hashlib.sha256(
        _CONTENT_TAG
        + _content_fields(
            stream_id=stream_id,
            event_id=event_id,
            event_type=event_type,
            schema_version=schema_version,
            subject_id=subject_id,
            personal_fields=personal_fields,
            payload_json=payload_json,
            metadata_json=metadata_json,
        )
    ).digest()


def keyed_content_hash(
    chain_key: bytes,
    *,
    stream_id: str,
    version: int,
    event_id: UUID,
    event_type: str,
    schema_version: int,
    subject_id: str | None,
    personal_fields: Iterable[str],
    payload_json: str,
    metadata_json: str,
) -> bytes:
    """HMAC-SHA256 under ``chain_key`` of one event as stored, including its stream version.

    The version is inside the MAC so that an event cannot be moved to another place of its
    stream (removing one from the middle and renumbering the rest) without the key.
    """
    return content_mac(
        chain_key,
        KEYED_CONTENT_TAG
        + _content_fields(
            stream_id=stream_id,
            event_id=event_id,
            event_type=event_type,
            schema_version=schema_version,
            subject_id=subject_id,
            personal_fields=personal_fields,
            payload_json=payload_json,
            metadata_json=metadata_json,
        )
        + _INT64.pack(version),
    )


_SHA256_BLOCK = 64


@functools.lru_cache(maxsize=8)
def _hmac_states(chain_key: bytes) -> tuple[hashlib._Hash, hashlib._Hash]:
    # RFC 2104 with the padded key's inner and outer sha256 states computed once per key.
    if len(chain_key) > _SHA256_BLOCK:
        chain_key = hashlib.sha256(chain_key).digest()
    block = chain_key.ljust(_SHA256_BLOCK, b"\0")
    return (
        hashlib.sha256(bytes(b ^ 0x36 for b in block)),
        hashlib.sha256(bytes(b ^ 0x5C for b in block)),
    )


def content_mac(chain_key: bytes, data: bytes) -> bytes:
    """HMAC-SHA256 of ``data`` under ``chain_key`` (equal to ``hmac.digest``).

    Why not ``hmac.digest``: it sets the key up again on every call, which cost verify two to
    four microseconds per event; copying the two precomputed states costs about one sha256.
    """
    inner, outer = _hmac_states(chain_key)
    running = inner.copy()
    running.update(data)
    final = outer.copy()
    final.update(running.digest())
    return final.digest()


def _content_fields(
    *,
    stream_id: str,
    event_id: UUID,
    event_type: str,
    schema_version: int,
    subject_id: str | None,
    personal_fields: Iterable[str],
    payload_json: str,
    metadata_json: str,
) -> bytes:
    personal = sorted(personal_fields)
    # One join: this runs once per event on append and on verify.
    return b"".join(
        (
            _field(stream_id.encode()),
            event_id.bytes,
            _field(event_type.encode()),
            _INT64.pack(schema_version),
            b"\x00" if subject_id is None else b"\x01" + _field(subject_id.encode()),
            _field(canonical_json(personal).encode() if personal else _NO_PERSONAL_FIELDS),
            _field(payload_json.encode()),
            _field(metadata_json.encode()),
        )
    )


def micros_since_epoch(moment: datetime) -> int:
    """Whole microseconds since 1970-01-01 UTC, the resolution PostgreSQL stores."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


def link_hash(
    previous: bytes, *, version: int, position: int, recorded_at: datetime, content: bytes
) -> bytes:
    """Chain one event to its stream's previous event (same formula as the SQL append)."""
    return link_hash_micros(
        previous,
        version=version,
        position=position,
        recorded_micros=micros_since_epoch(recorded_at),
        content=content,
    )


def link_hash_micros(
    previous: bytes, *, version: int, position: int, recorded_micros: int, content: bytes
) -> bytes:
    """``link_hash`` with the recording time already in microseconds since the epoch."""
    return hashlib.sha256(
        previous + _LINK.pack(version, position, recorded_micros) + content
    ).digest()


class SealDigest:
    """Running digest over a range of the global log, in commit order.

    A seal commits to the previous seal's digest, its own number, every covered event's position
    and hash, the count, and the commit-order cursor of its last event, so that deleting,
    inserting or reordering whole events inside a sealed range changes the digest.
    """

    def __init__(self, previous_digest: bytes, seal_number: int) -> None:
        self._hash = hashlib.sha256(_SEAL_TAG + previous_digest + _INT64.pack(seal_number))
        self.count = 0

    def add(self, position: int, event_hash: bytes) -> None:
        """Fold in the next event of the range."""
        self._hash.update(_INT64.pack(position) + event_hash)
        self.count += 1

    def add_encoded(self, encoded: bytes, count: int) -> None:
        """``add`` for ``count`` consecutive events already encoded as int8 position || hash."""
        self._hash.update(encoded)
        self.count += count

    def finish(self, *, last_transaction_id: int, last_position: int) -> bytes:
        """Close the range and return its digest (the object must not be used afterwards)."""
        self._hash.update(
            _INT64.pack(self.count) + _UINT64.pack(last_transaction_id) + _INT64.pack(last_position)
        )
        return self._hash.digest()
