"""Sending a command on behalf of a principal: visibility, idempotency, domain pre-check, update."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from api.auth.principals import Principal
from api.deps import utcnow
from api.idempotency import idempotent, request_hash, update_id
from api.pathways import as_json, command_result, precheck, send_command, visible_pathway
from api.runtime import ApiRuntime
from domain import Command


async def keyed_command(
    request: Request,
    *,
    runtime: ApiRuntime,
    principal: Principal,
    key: str,
    pathway_id: str,
    command: Command,
    body: Any,
    status: int = 200,
) -> JSONResponse:
    """Run ``command`` on the pathway once per idempotency key."""
    route = getattr(request.scope.get("route"), "path", request.url.path)
    fingerprint = request_hash(request.method, route, dict(request.path_params), body)

    async def action() -> tuple[int, dict[str, Any]]:
        now = utcnow()
        loaded = await visible_pathway(runtime.store, principal, None, pathway_id, now=now)
        precheck(loaded.state, command, now=now)
        outcome = await send_command(
            runtime, pathway_id, command, update_id=update_id(principal.key, key)
        )
        return status, as_json(command_result(pathway_id, outcome))

    return await idempotent(
        runtime.pool, principal_key=principal.key, key=key, fingerprint=fingerprint, action=action
    )
