"""Every attempt on a person's data goes into the access log, whatever its outcome.

A read that reaches the data is logged by the route itself (``api.deps.AccessLogger``), before it
is served. Everything else on a person's routes is logged here, by an ASGI middleware, before the
response leaves: requests refused without a valid token (401, principal unknown), with the wrong
role (403), for a pathway the caller may not see (404), with invalid input (422), and the commands
(POST), allowed or refused. The entry holds the status and the error code answered, never the
request's body. When the entry cannot be written the caller gets 503 instead of the answer, as a
read does.

A person's routes are those under ``/agency``, ``/caseworker`` and ``/audit``, except
``/audit/verify``, which reports on the stores without naming anyone.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs

import asyncpg
import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.access_log.models import AccessEntry
from api.access_log.purposes import DEFAULT_PURPOSE, allowed_purposes
from api.access_log.store import append_access
from api.auth.principals import Principal
from api.errors import DEPENDENCY_FAULTS, error_json
from workflows.inputs import PATHWAY_ID_PATTERN

log = structlog.get_logger()

_PERSON_PREFIXES = ("/agency/", "/caseworker/", "/audit/")
_NOT_PERSON_DATA = frozenset({"/audit/verify"})
_PLAUSIBLE_ID = re.compile(PATHWAY_ID_PATTERN)
_DB_DOWN: tuple[type[BaseException], ...] = (*DEPENDENCY_FAULTS, asyncpg.PostgresError)


def attempt_action(method: str, route: str) -> str | None:
    """The access-log action of a request on ``route``; None when it names nobody."""
    if not route.startswith(_PERSON_PREFIXES) or route in _NOT_PERSON_DATA:
        return None
    if method != "GET":
        return "write"
    if "{pathway_id}" not in route:
        return "query"
    return "export" if route.endswith("/export") else "read"


def _plausible(value: object) -> str | None:
    # An id that is not a pathway id is not stored: it could be anything a caller typed.
    return value if isinstance(value, str) and _PLAUSIBLE_ID.match(value) else None


def _reason(status: int, body: bytes) -> str | None:
    if status < 400:
        return None
    try:
        code = json.loads(body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return f"http_{status}"
    return str(code)[:64]


def _purpose(
    state: dict[str, Any], principal: Principal, headers: dict[bytes, bytes]
) -> str | None:
    if state.get("purpose") is not None:
        return str(state["purpose"])
    declared = headers.get(b"x-purpose-of-use")
    if declared is None:
        return DEFAULT_PURPOSE[principal.role].value
    value = declared.decode("latin-1")
    # A purpose the role may not declare is recorded as unknown, not as what was claimed.
    return value if value in {p.value for p in allowed_purposes(principal.role)} else None


def attempt_entry(scope: Scope, status: int, body: bytes) -> AccessEntry | None:
    """The entry a finished request writes; None when it names nobody or was logged already."""
    route = getattr(scope.get("route"), "path", None)
    state: dict[str, Any] = scope.get("state", {})
    if route is None or state.get("access_logged"):
        return None
    action = attempt_action(scope["method"], route)
    if action is None:
        return None
    principal: Principal | None = state.get("principal")
    pathway_id = _plausible(scope.get("path_params", {}).get("pathway_id")) or _plausible(
        state.get("access_pathway_id")
    )
    if pathway_id is None and action == "query":
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        pathway_id = _plausible(query.get("pathway_id", [None])[0])
    headers = dict(scope.get("headers", []))
    return AccessEntry(
        principal_id=principal.token_id if principal else None,
        role=principal.role.value if principal else None,
        organisation_id=principal.organisation_id if principal else None,
        subject_id=principal.subject_id if principal else None,
        purpose=_purpose(state, principal, headers) if principal else None,
        action=action,
        resource=f"{scope['method']} {route}",
        pathway_id=pathway_id,
        outcome="allowed" if status < 400 else "denied",
        status=status,
        reason=_reason(status, body),
    )


class AccessAttempts:
    """ASGI middleware writing the access-log entry of every attempt a route did not log."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held: list[Message] = []
        status = 0

        async def hold(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                held.append(message)
                return
            if held and message["type"] == "http.response.body":
                held.append(message)
                if message.get("more_body", False) and status >= 400:
                    return  # an error body is small: keep it whole, its code is logged
                await self._flush(scope, status, held, send)
                held.clear()
                return
            await send(message)

        try:
            await self.app(scope, receive, hold)
        except Exception:
            # Not an answer to input (the app's 500 handler answers it): logged as what it was.
            await self._write(scope, attempt_entry(scope, 500, b""))
            raise

    async def _flush(self, scope: Scope, status: int, held: list[Message], send: Send) -> None:
        body = b"".join(m.get("body", b"") for m in held[1:])
        if not await self._write(scope, attempt_entry(scope, status, body)):
            response = error_json(503, "service_unavailable", "the access log is unavailable")
            await response(scope, _no_receive, send)
            return
        for message in held:
            await send(message)

    async def _write(self, scope: Scope, entry: AccessEntry | None) -> bool:
        if entry is None:
            return True
        runtime = getattr(scope["app"].state, "runtime", None)
        if runtime is None:
            return False
        try:
            async with runtime.pool.acquire() as conn:
                await append_access(conn, [entry])
        except _DB_DOWN as exc:
            log.error("access_log_unavailable", error=type(exc).__name__)
            return False
        return True


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}
