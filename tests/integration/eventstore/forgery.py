"""What a forger who knows every formula in this repository does to a stream, as the tamper
tests' attacker: recompute its chain after changing rows, with or without a (guessed) key."""

from __future__ import annotations

import asyncpg

from eventstore.hashing import GENESIS_HASH, content_hash, keyed_content_hash, link_hash


async def rechain(connection: asyncpg.Connection, stream: str, key: bytes | None = None) -> None:
    """Recompute a stream's hashes and head: unkeyed (sha256, the v1 format) without ``key``,
    in the keyed format under ``key`` with it (a key the attacker guessed)."""
    rows = await connection.fetch(
        "SELECT version, position, event_id, type, schema_version, payload::text AS payload,"
        " metadata::text AS metadata, subject_id, personal_fields, recorded_at"
        " FROM eventstore.events WHERE stream_id = $1 ORDER BY version",
        stream,
    )
    previous = GENESIS_HASH
    for row in rows:
        fields = {
            "stream_id": stream,
            "event_id": row["event_id"],
            "event_type": row["type"],
            "schema_version": row["schema_version"],
            "subject_id": row["subject_id"],
            "personal_fields": row["personal_fields"],
            "payload_json": row["payload"],
            "metadata_json": row["metadata"],
        }
        content = (
            content_hash(**fields)
            if key is None
            else keyed_content_hash(key, version=row["version"], **fields)
        )
        previous = link_hash(
            previous,
            version=row["version"],
            position=row["position"],
            recorded_at=row["recorded_at"],
            content=content,
        )
        await connection.execute(
            "UPDATE eventstore.events SET hash = $3 WHERE stream_id = $1 AND version = $2",
            stream,
            row["version"],
            previous,
        )
    await connection.execute(
        "UPDATE eventstore.streams SET version = $2, last_hash = $3 WHERE stream_id = $1",
        stream,
        rows[-1]["version"],
        previous,
    )
