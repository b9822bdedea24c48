"""Canonical encodings: equal content, equal bytes; any change, another hash."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from eventstore.hashing import GENESIS_HASH, canonical_json, content_hash, link_hash

EVENT = uuid.uuid4()


def content(**changes: object) -> bytes:
    fields: dict[str, object] = {
        "stream_id": "pathway-1",
        "event_id": EVENT,
        "event_type": "Happened",
        "schema_version": 1,
        "subject_id": None,
        "personal_fields": [],
        "payload_json": '{"a":1}',
        "metadata_json": '{"actor":"x"}',
    }
    fields.update(changes)
    return content_hash(**fields)  # type: ignore[arg-type]


def test_canonical_json_does_not_depend_on_key_order() -> None:
    assert canonical_json({"b": 1, "a": [1, {"d": 2, "c": 3}]}) == canonical_json(
        {"a": [1, {"c": 3, "d": 2}], "b": 1}
    )
    assert canonical_json({"é": "ü"}) == '{"é":"ü"}'


def test_every_field_of_the_content_changes_the_hash() -> None:
    base = content()
    variants = [
        content(stream_id="pathway-2"),
        content(event_id=uuid.uuid4()),
        content(event_type="Other"),
        content(schema_version=2),
        content(subject_id=""),
        content(personal_fields=["a"]),
        content(payload_json='{"a":2}'),
        content(metadata_json='{"actor":"y"}'),
    ]
    assert len({base, *variants}) == len(variants) + 1


def test_concatenation_is_unambiguous() -> None:
    assert content(stream_id="ab", event_type="c") != content(stream_id="a", event_type="bc")


def test_the_link_commits_to_previous_hash_version_position_and_time() -> None:
    moment = datetime(2025, 3, 3, 12, 0, 0, 123456, tzinfo=UTC)
    base = link_hash(GENESIS_HASH, version=1, position=1, recorded_at=moment, content=content())
    assert base != link_hash(
        bytes(31) + b"\x01", version=1, position=1, recorded_at=moment, content=content()
    )
    assert base != link_hash(
        GENESIS_HASH, version=2, position=1, recorded_at=moment, content=content()
    )
    assert base != link_hash(
        GENESIS_HASH, version=1, position=2, recorded_at=moment, content=content()
    )
    later = moment.replace(microsecond=123457)
    assert base != link_hash(
        GENESIS_HASH, version=1, position=1, recorded_at=later, content=content()
    )


def test_the_keyed_content_hash_depends_on_the_key_and_the_version() -> None:
    from eventstore.hashing import keyed_content_hash

    fields: dict[str, object] = {
        "stream_id": "pathway-1",
        "event_id": uuid.UUID(int=7),
        "event_type": "Step",
        "schema_version": 1,
        "subject_id": None,
        "personal_fields": [],
        "payload_json": "{}",
        "metadata_json": "{}",
    }
    key = bytes(range(32))
    base = keyed_content_hash(key, version=2, **fields)  # type: ignore[arg-type]

    assert base == keyed_content_hash(key, version=2, **fields)  # type: ignore[arg-type]
    assert base != keyed_content_hash(key, version=3, **fields)  # type: ignore[arg-type]
    assert base != keyed_content_hash(bytes(32), version=2, **fields)  # type: ignore[arg-type]
    assert base != content_hash(**fields)  # type: ignore[arg-type]


def test_the_content_mac_is_hmac_sha256_for_any_key_length() -> None:
    import hmac

    from eventstore.hashing import content_mac

    for key in (bytes(range(32)), b"k", bytes(100)):
        for data in (b"", b"event", bytes(1000)):
            assert content_mac(key, data) == hmac.digest(key, data, "sha256")
