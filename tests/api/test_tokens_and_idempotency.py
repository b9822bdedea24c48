"""Tokens (revocation, expiry, hashes only) and idempotency keys (a retry never acts twice)."""

from __future__ import annotations

import asyncpg
import httpx

from api.auth.tokens import revoke_token, token_hash
from tests.api.conftest import CW, MUNICIPALITY, Caller, TokenFactory, opening

OPEN = opening("p-idem-001")


async def test_a_revoked_or_expired_token_is_refused_and_only_its_hash_is_stored(
    http: httpx.AsyncClient, make_token: TokenFactory, pool: asyncpg.Pool
) -> None:
    token = await make_token("auditor", "org-inspectorate", "aud-1")
    auditor = Caller(http, token)
    assert (await auditor.get("/audit/verify")).status_code == 200
    stored = await pool.fetchrow("SELECT token_id, token_hash FROM api.tokens")
    assert stored is not None
    assert bytes(stored["token_hash"]) == token_hash(token)
    dump = str([dict(r) for r in await pool.fetch("SELECT * FROM api.tokens")])
    assert token not in dump
    async with pool.acquire() as conn:
        assert await revoke_token(conn, stored["token_id"])
    refused = await auditor.get("/audit/verify")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthorized"

    expired = Caller(http, await make_token("auditor", "org-inspectorate", "aud-2"))
    assert (await expired.get("/audit/verify")).status_code == 200
    await pool.execute(
        "UPDATE api.tokens SET expires_at = now() - interval '1 second' WHERE subject_id = 'aud-2'"
    )
    assert (await expired.get("/audit/verify")).status_code == 401


async def test_a_retry_with_the_same_key_returns_the_first_response_and_acts_once(
    http: httpx.AsyncClient, make_token: TokenFactory, pool: asyncpg.Pool
) -> None:
    coordinator = Caller(http, await make_token("caseworker", MUNICIPALITY, CW))
    assert (
        await coordinator.post("/caseworker/pathways", OPEN, key="open-0001")
    ).status_code == 201
    body = {"type": "RecordWorkAspiration", "actor": CW, "text": "to work with animals"}
    path = "/caseworker/pathways/p-idem-001/commands"
    first = await coordinator.post(path, body, key="aspiration-0001")
    again = await coordinator.post(path, body, key="aspiration-0001")
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    count = await pool.fetchval(
        "SELECT count(*) FROM eventstore.events WHERE stream_id = 'pathway-p-idem-001'"
        " AND type = 'WorkAspirationRecorded'"
    )
    assert count == 1

    other = await coordinator.post(path, {**body, "text": "something else"}, key="aspiration-0001")
    assert other.status_code == 422
    assert other.json()["error"]["field"] == "Idempotency-Key"

    missing = await http.post(path, json=body, headers=coordinator.headers())
    assert missing.status_code == 422
    assert missing.json()["error"]["field"] == "Idempotency-Key"


async def test_a_refused_command_names_the_rule_and_writes_nothing(
    http: httpx.AsyncClient, make_token: TokenFactory, pool: asyncpg.Pool
) -> None:
    coordinator = Caller(http, await make_token("caseworker", MUNICIPALITY, CW))
    opened = await coordinator.post("/caseworker/pathways", {**OPEN, "pathway_id": "p-idem-002"})
    assert opened.status_code == 201, opened.text
    before = await pool.fetchval("SELECT count(*) FROM eventstore.events")
    unknown = await coordinator.post(
        "/caseworker/pathways/p-idem-002/commands",
        {"type": "AcceptHandover", "actor": CW, "handover_id": "h-none", "by_org": MUNICIPALITY},
    )
    assert unknown.status_code == 404, unknown.text
    assert unknown.json()["error"]["code"] == "unknown_entity"
    invalid = await coordinator.post(
        "/caseworker/pathways/p-idem-002/commands",
        {"type": "StartJob", "actor": CW, "employer_id": "emp-1", "hours_per_week": 500},
    )
    assert invalid.status_code == 422
    assert invalid.json()["error"]["field"].endswith("hours_per_week")
    assert await pool.fetchval("SELECT count(*) FROM eventstore.events") == before
