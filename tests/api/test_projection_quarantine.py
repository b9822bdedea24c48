"""One event no projection can hold never freezes anyone else's screens (issue 12)."""

from __future__ import annotations

import uuid

import asyncpg

from api.projections.rebuild import rebuild, retry_quarantined
from api.projections.runner import catch_up
from api.runtime import ApiRuntime
from eventstore import EventMetadata, NewEvent, PostgresEventStore
from tests.api.conftest import IPS, Caller, Parties, command, opening
from workflows.inputs import stream_id

POISONED, HEALTHY = "p-poison-0001", "p-healthy-0001"


async def _poison(store: PostgresEventStore, pathway_id: str) -> int:
    """Append, as a bug elsewhere might, a consent whose expiry PostgreSQL cannot store."""
    stream = stream_id(pathway_id)
    recorded = await store.read_stream(stream)
    granted = next(e for e in recorded if e.type == "ConsentGranted")
    payload = {
        **granted.payload,
        "event_id": str(uuid.uuid4()),
        "consent_id": "c-poison",
        "expires_at": "9999-12-31T23:59:59-12:00",  # year 10000 in UTC: beyond timestamptz
    }
    result = await store.append(
        stream,
        [
            NewEvent(
                event_id=uuid.UUID(payload["event_id"]),
                type="ConsentGranted",
                schema_version=granted.schema_version,
                payload=payload,
                metadata=EventMetadata(actor="a-bug"),
                subject_id=granted.subject_id,
            )
        ],
        expected_version=recorded[-1].version,
    )
    return result.positions[0]


async def _open_with_consent(coordinator: Caller, pathway_id: str) -> None:
    assert (await coordinator.post("/caseworker/pathways", opening(pathway_id))).status_code == 201
    granted = await coordinator.post(
        f"/caseworker/pathways/{pathway_id}/commands",
        command(
            "GrantConsent",
            recipient_org=IPS,
            purpose="employment_support",
            data_categories=["employment_history"],
            expires_at="2030-01-01T00:00:00+00:00",
        ),
    )
    assert granted.status_code == 200, granted.text


async def test_a_poisoned_pathway_is_set_aside_and_everyone_else_keeps_flowing(
    parties: Parties, pool: asyncpg.Pool, runtime: ApiRuntime
) -> None:
    coordinator = parties.coordinator
    await _open_with_consent(coordinator, POISONED)
    await catch_up(pool)
    position = await _poison(runtime.store, POISONED)

    # The projector meets the poison first, then a pathway opened after it.
    await catch_up(pool)
    await _open_with_consent(coordinator, HEALTHY)
    await catch_up(pool)

    caseload = {
        r["pathway_id"]: r for r in (await coordinator.get("/caseworker/caseload")).json()["items"]
    }
    assert set(caseload) == {POISONED, HEALTHY}
    assert caseload[POISONED]["stale"] is True
    assert caseload[HEALTHY]["stale"] is False
    lag = await pool.fetchval(
        "SELECT count(*) FROM eventstore.events e WHERE NOT EXISTS (SELECT FROM"
        " projections.pathway_state s WHERE 'pathway-' || s.pathway_id = e.stream_id"
        " AND s.stream_version >= e.version)"
    )
    assert lag == 1  # only the poison itself is not projected

    ready = await parties.auditor.http.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["status"] == "degraded"
    assert any(f"position {position}" in p for p in ready.json()["problems"])
    assert POISONED not in str(ready.json())  # /ready needs no token: no pathway ids

    report = await rebuild(pool)
    assert report.quarantined == 1
    assert report.pathways == 2
    retried = await retry_quarantined(pool)
    assert retried.still_quarantined == [POISONED]
    row = await pool.fetchrow("SELECT reason, attempts FROM projections.quarantine")
    assert row is not None
    assert row["reason"].startswith("DataError")
    assert "9999" not in row["reason"]  # the reason never quotes event content


async def test_without_poison_the_api_is_ready_and_nothing_is_stale(
    parties: Parties, pool: asyncpg.Pool, runtime: ApiRuntime
) -> None:
    await _open_with_consent(parties.coordinator, "p-healthy-0002")
    await catch_up(pool)
    ready = await parties.auditor.http.get("/ready")
    assert ready.json() == {
        "status": "ready",
        "postgres": "ok",
        "temporal": "ok",
        "projections": "ok",
        "problems": [],
    }
