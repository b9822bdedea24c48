"""Sending commands on behalf of the caller, once per idempotency key.

Every route that changes a pathway takes a :class:`Commands` (``AgencyCommands`` or
``CaseworkerCommands``): the role is checked, the ``Idempotency-Key`` header read, and
:meth:`Commands.send` does the rest (visibility, the domain's pre-check, the ``execute`` update,
the mapping of refusals onto 404/409/422/503, and the stored response a retry gets back).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.auth.principals import Principal
from api.deps import (
    AgencyPrincipal,
    CaseworkerPrincipal,
    Db,
    IdempotencyKey,
    RequestConnection,
    Runtime,
    utcnow,
)
from api.errors import UnprocessableError
from api.idempotency import idempotent, request_hash, update_id
from api.metrics import record_command
from api.organisations import inactive_or_unknown
from api.pathways import as_json, command_result, precheck, send_command, visible_pathway
from api.runtime import ApiRuntime
from domain import Command
from domain.ids import organisations_named

Action = Callable[[bool], Awaitable[tuple[int, dict[str, Any]]]]
"""A keyed request's work; its argument says whether an earlier attempt may have done it."""


class Commands:
    """The caller of one request, acting under the request's idempotency key."""

    def __init__(
        self,
        request: Request,
        db: RequestConnection,
        runtime: ApiRuntime,
        principal: Principal,
        key: str,
    ) -> None:
        self._request = request
        self._db = db
        self.runtime = runtime
        self.principal = principal
        self.key = key

    @property
    def actor(self) -> str:
        """The actor recorded on the caller's commands."""
        return self.principal.actor

    @property
    def org(self) -> str:
        """The caller's organisation."""
        return self.principal.organisation_id

    async def send(
        self,
        pathway_id: str,
        command: Command,
        *,
        body: BaseModel | None = None,
        status: int = 200,
    ) -> JSONResponse:
        """Run ``command`` on a pathway the caller may see; 404 for any other.

        Args:
            pathway_id: the pathway.
            command: built from the request, with the caller as actor.
            body: the request body as received (what makes a retry "the same request").
            status: the status of success.
        """

        await self.refuse_unregistered(command)

        async def action(retried: bool) -> tuple[int, dict[str, Any]]:
            now = utcnow()
            loaded = await visible_pathway(
                self.runtime.store, self.principal, None, pathway_id, now=now
            )
            if not retried:
                # On a retry the state may already hold this very command's effect: the
                # workflow, which knows the update id, answers with the first outcome instead.
                precheck(loaded.state, command, now=now)
            outcome = await send_command(
                self.runtime, pathway_id, command, update_id=update_id(self.principal.key, self.key)
            )
            return status, as_json(command_result(pathway_id, outcome))

        return await self.once(body, action)

    def names_pathway(self, pathway_id: str) -> None:
        """Record, for the access log, the pathway a request names in its body."""
        self._request.state.access_pathway_id = pathway_id

    async def refuse_unregistered(self, command: BaseModel) -> None:
        """422 naming the first field whose organisation is not registered and active.

        Checked before the pathway is looked at: the answer depends on the request alone, so it
        says nothing about whether the pathway exists or whom it concerns.
        """
        named = organisations_named(command)
        if not named:
            return
        async with self._db.use() as conn:
            missing = set(await inactive_or_unknown(conn, [org for _, org in named]))
        for field, org in named:
            if org in missing:
                raise UnprocessableError(
                    f"{field}: {org} is not a registered organisation",
                    code="unregistered_organisation",
                    field=field,
                )

    async def once(self, body: BaseModel | None, action: Action) -> JSONResponse:
        """Run ``action`` at most once per (caller, key); a retry gets the first response."""
        # The key's bookkeeping, the store and Temporal take connections of their own.
        await self._db.release()
        request = self._request
        route = getattr(request.scope.get("route"), "path", request.url.path)
        fingerprint = request_hash(
            request.method,
            route,
            dict(request.path_params),
            None if body is None else body.model_dump(mode="json"),
        )
        started = time.monotonic()
        response = await idempotent(
            self.runtime.pool,
            principal_key=self.principal.key,
            key=self.key,
            fingerprint=fingerprint,
            action=action,
        )
        record_command(time.monotonic() - started, response.status_code)
        return response


async def agency_commands(
    request: Request, db: Db, runtime: Runtime, principal: AgencyPrincipal, key: IdempotencyKey
) -> Commands:
    """An agency's commands: ``by_org`` and ``actor`` come from its token, never from the body."""
    return Commands(request, db, runtime, principal, key)


async def caseworker_commands(
    request: Request, db: Db, runtime: Runtime, principal: CaseworkerPrincipal, key: IdempotencyKey
) -> Commands:
    """A coordinating case worker's commands, with their coordinator id as ``actor``."""
    return Commands(request, db, runtime, principal, key)


AgencyCommands = Annotated[Commands, Depends(agency_commands)]
CaseworkerCommands = Annotated[Commands, Depends(caseworker_commands)]
