"""Idempotency keys: the same key and body return the first response; another body is refused.

The key also fixes the Temporal update id (:func:`update_id`), so a retry after the API crashed
between sending the update and storing the response is answered by Temporal (or, after
continue-as-new, by the workflow's own memory of update ids) with the first outcome instead of
running the command again. That is why a retry of a key whose first attempt never stored an
answer (the API died, or the first attempt is still running) runs the action again, marked
``retried``: sending the same update id twice cannot act twice, and checking the command first
against the pathway's state would refuse it because of its own effect (issue 12).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import asyncpg
from fastapi.responses import JSONResponse

from api.errors import ApiError, UnavailableError, UnprocessableError, error_json
from eventstore.hashing import canonical_json

# A request still "in progress" after this long was cut off (a crash): its row is renewed.
STALE_AFTER = timedelta(seconds=60)

# Refusals that are a fact about the request (a retry gets the same answer) are remembered;
# anything else (401/403/404/503) leaves the key free for a retry.
_REMEMBERED = {409, 422}


def request_hash(method: str, route: str, path_params: dict[str, str], body: Any) -> bytes:
    """What makes two requests "the same" under one key."""
    text = canonical_json({"m": method, "r": route, "p": path_params, "b": body})
    return hashlib.sha256(text.encode()).digest()


def update_id(principal_key: str, key: str) -> str:
    """The Temporal update id of a keyed request (deterministic; no personal data)."""
    return "api-" + hashlib.sha256(f"{principal_key}\x00{key}".encode()).hexdigest()[:40]


async def idempotent(
    pool: asyncpg.Pool,
    *,
    principal_key: str,
    key: str,
    fingerprint: bytes,
    action: Callable[[bool], Awaitable[tuple[int, dict[str, Any]]]],
) -> JSONResponse:
    """Run ``action`` for a new (principal, key); replay its stored response otherwise.

    ``action(retried)`` is called with ``retried`` true when an earlier attempt under the key left
    no answer (it crashed, or it is still running): the action must then be one whose repetition
    cannot act twice (a Temporal update or workflow start under an id fixed by the key) and must
    not refuse because of its own earlier effect. The first answer stored wins.
    """
    retried = False
    try:
        async with pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                """
                SELECT request_hash, status_code, response,
                       completed_at IS NULL AND created_at < clock_timestamp() - $3::interval
                           AS stale
                FROM api.idempotency_keys WHERE principal = $1 AND idempotency_key = $2
                FOR UPDATE
                """,
                principal_key,
                key,
                STALE_AFTER,
            )
            if row is not None:
                if bytes(row["request_hash"]) != fingerprint:
                    raise UnprocessableError(
                        "Idempotency-Key: already used for a different request",
                        code="idempotency_key_reused",
                        field="Idempotency-Key",
                    )
                if row["status_code"] is not None:
                    return JSONResponse(
                        row["response"],
                        status_code=row["status_code"],
                        headers={"Idempotent-Replayed": "true"},
                    )
                retried = True
                if row["stale"]:
                    await conn.execute(
                        "UPDATE api.idempotency_keys SET created_at = clock_timestamp()"
                        " WHERE principal = $1 AND idempotency_key = $2",
                        principal_key,
                        key,
                    )
            else:
                inserted = await conn.execute(
                    "INSERT INTO api.idempotency_keys (principal, idempotency_key, request_hash)"
                    " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    principal_key,
                    key,
                    fingerprint,
                )
                # A concurrent request with this key won the race: this one is its retry.
                retried = inserted == "INSERT 0 0"
    except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError) as exc:
        raise UnavailableError("PostgreSQL is unavailable") from exc

    try:
        status, body = await action(retried)
    except ApiError as exc:
        response = error_json(exc.status_code, exc.code, exc.message, exc.field)
        if exc.status_code in _REMEMBERED:
            await _complete(pool, principal_key, key, exc.status_code, _body_of(response))
        elif not retried:  # the first attempt, maybe still running, keeps its row
            await _release(pool, principal_key, key)
        return response
    except BaseException:
        if not retried:
            await _release(pool, principal_key, key)
        raise
    await _complete(pool, principal_key, key, status, body)
    return JSONResponse(body, status_code=status)


def _body_of(response: JSONResponse) -> Any:
    import json

    return json.loads(bytes(response.body))


async def _complete(
    pool: asyncpg.Pool, principal_key: str, key: str, status: int, body: Any
) -> None:
    # The first answer stored wins: a retry that ran beside its first attempt answers the same.
    await pool.execute(
        "UPDATE api.idempotency_keys SET status_code = $3, response = $4,"
        " completed_at = clock_timestamp()"
        " WHERE principal = $1 AND idempotency_key = $2 AND completed_at IS NULL",
        principal_key,
        key,
        status,
        body,
    )


async def _release(pool: asyncpg.Pool, principal_key: str, key: str) -> None:
    await pool.execute(
        "DELETE FROM api.idempotency_keys"
        " WHERE principal = $1 AND idempotency_key = $2 AND completed_at IS NULL",
        principal_key,
        key,
    )
