"""Annotated dependencies: the runtime's parts, the request's connection, the authenticated
principal and its purpose of use.

Every dependency here is ``async``: FastAPI runs a plain ``def`` dependency in a worker thread,
a thread hop per dependency per request that buys nothing for code that never blocks.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import UTC, datetime
from typing import Annotated, Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from temporalio.client import Client

from api.access_log import DEFAULT_PURPOSE, AccessEntry, Purpose, allowed_purposes, append_access
from api.auth.principals import Principal, Role
from api.auth.tokens import authenticate
from api.errors import (
    DEPENDENCY_FAULTS,
    ForbiddenError,
    UnauthorizedError,
    UnavailableError,
    UnprocessableError,
)
from api.runtime import ApiRuntime
from eventstore import PostgresEventStore
from eventstore.pool import mark_session_untouched

_bearer = HTTPBearer(auto_error=False, description="a token from `pathways admin token create`")
_DB_DOWN = DEPENDENCY_FAULTS


async def get_runtime(request: Request) -> ApiRuntime:
    """The process's runtime, set by the app's lifespan."""
    runtime: ApiRuntime | None = getattr(request.app.state, "runtime", None)
    if runtime is None:
        raise UnavailableError("the API is starting")
    return runtime


Runtime = Annotated[ApiRuntime, Depends(get_runtime)]


async def get_pool(runtime: Runtime) -> asyncpg.Pool:
    """The asyncpg pool."""
    return runtime.pool


async def get_client(runtime: Runtime) -> Client:
    """The Temporal client."""
    return runtime.client


async def get_store(runtime: Runtime) -> PostgresEventStore:
    """The event store."""
    return runtime.store


Pool = Annotated[asyncpg.Pool, Depends(get_pool)]
TemporalClient = Annotated[Client, Depends(get_client)]
Store = Annotated[PostgresEventStore, Depends(get_store)]


def utcnow() -> datetime:
    """The request's clock (one place, so it can be reasoned about)."""
    return datetime.now(UTC)


class RequestConnection:
    """The one pooled connection a request runs its own statements on, taken at first use.

    Why one: the token lookup, a list's query and its access-log entry used to take a connection
    each, and the pool resets every connection it takes back (a round trip). Here they share one
    lease, and when all of them succeeded the lease goes back without a reset: none of them
    changes session state (no ``SET``, ``LISTEN``, advisory lock or open cursor). After a failed
    statement the connection goes back at once, with the pool's full reset.

    A request never holds this connection while it waits for another one from the pool: with
    every connection lent out, that wait would never end. Work that takes its own connections
    (the event store, an idempotent command, verification) runs after :meth:`release`.
    """

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._lease: PoolConnectionProxy | None = None

    @contextlib.asynccontextmanager
    async def use(self) -> AsyncIterator[PoolConnectionProxy]:
        """The connection, for some statements; PostgreSQL being down is a 503."""
        try:
            if self._lease is None:
                self._lease = await self._pool.acquire()
            yield self._lease
        except _DB_DOWN as exc:
            await self._give_back(reset=True)
            raise UnavailableError("PostgreSQL is unavailable") from exc
        except BaseException:
            await self._give_back(reset=True)
            raise

    async def release(self) -> None:
        """Give the connection back (if taken); the next :meth:`use` takes one again."""
        await self._give_back(reset=False)

    async def _give_back(self, *, reset: bool) -> None:
        lease, self._lease = self._lease, None
        if lease is None:
            return
        if not reset:
            mark_session_untouched(lease)
        await self._pool.release(lease)


async def get_connection(pool: Pool) -> AsyncIterator[RequestConnection]:
    """The request's connection, given back when the route returns (before the response)."""
    connection = RequestConnection(pool)
    try:
        yield connection
    finally:
        await connection.release()


Db = Annotated[RequestConnection, Depends(get_connection, scope="function")]


async def get_principal(
    request: Request,
    db: Db,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller behind the bearer token; 401 when missing, unknown, expired or revoked.

    The principal is also kept on the request's state, so that a refusal after this point
    (403, 404, 422) is logged with who attempted it (``api.access_log.attempts``).
    """
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise UnauthorizedError("a bearer token is required (Authorization: Bearer ...)")
    async with db.use() as conn:
        principal = await authenticate(conn, credentials.credentials, now=utcnow())
    if principal is None:
        raise UnauthorizedError("the bearer token is unknown, expired or revoked")
    request.state.principal = principal
    return principal


AnyPrincipal = Annotated[Principal, Depends(get_principal)]


def require_role(*roles: Role) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    """A dependency admitting only ``roles``; others get 403 (the role is wrong, not the person)."""

    async def check(principal: AnyPrincipal) -> Principal:
        if principal.role not in roles:
            names = ", ".join(r.value for r in roles)
            raise ForbiddenError(f"this endpoint is for: {names}")
        return principal

    return check


AgencyPrincipal = Annotated[Principal, Depends(require_role(Role.AGENCY))]
CaseworkerPrincipal = Annotated[Principal, Depends(require_role(Role.CASEWORKER))]
AuditorPrincipal = Annotated[Principal, Depends(require_role(Role.AUDITOR))]


class AccessLogger:
    """Records the reads of one request in the access log, before the response leaves."""

    def __init__(
        self,
        db: RequestConnection,
        principal: Principal,
        purpose: Purpose,
        resource: str,
        request: Request | None = None,
    ) -> None:
        self.db = db
        self.principal = principal
        self.purpose = purpose
        self.resource = resource
        self._request = request

    async def record(
        self,
        action: str = "read",
        *,
        pathway_id: str | None = None,
        pathway_ids: list[str] | None = None,
        outcome: str = "allowed",
        status: int = 200,
        reason: str | None = None,
    ) -> None:
        """Append one entry; a read that cannot be logged is not served (503).

        The entry is a read's last statement, so the request's connection goes back right after.
        The request is marked as logged, so the attempts middleware does not log it again.
        """
        entry = AccessEntry(
            principal_id=self.principal.token_id,
            role=self.principal.role.value,
            organisation_id=self.principal.organisation_id,
            subject_id=self.principal.subject_id,
            purpose=self.purpose.value,
            action=action,
            resource=self.resource,
            pathway_id=pathway_id,
            pathway_ids=pathway_ids or [],
            outcome=outcome,
            status=status,
            reason=reason,
        )
        try:
            async with self.db.use() as conn:
                await append_access(conn, [entry])
        except UnavailableError as exc:
            raise UnavailableError("the access log is unavailable") from exc
        if self._request is not None:
            self._request.state.access_logged = True
        await self.db.release()


async def get_access_logger(
    request: Request,
    db: Db,
    principal: AnyPrincipal,
    x_purpose_of_use: Annotated[
        str | None,
        Header(
            description="why you read (HL7 v3 PurposeOfUse: COC, TREAT, ETREAT, CAREMGT, "
            "HCOMPL, HLEGAL, PATRQT, HOPERAT); defaults per role",
            max_length=32,
        ),
    ] = None,
) -> AccessLogger:
    """The access logger of this request, with the declared (or the role's default) purpose."""
    if x_purpose_of_use is None:
        purpose = DEFAULT_PURPOSE[principal.role]
    else:
        allowed_values = {p.value for p in allowed_purposes(principal.role)}
        if x_purpose_of_use in allowed_values:
            purpose = Purpose(x_purpose_of_use)
        else:
            allowed = ", ".join(sorted(allowed_values))
            raise UnprocessableError(
                f"X-Purpose-Of-Use: must be one of {allowed} for role {principal.role.value}",
                field="X-Purpose-Of-Use",
            )
    request.state.purpose = purpose
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    return AccessLogger(db, principal, purpose, f"{request.method} {path}", request)


Access = Annotated[AccessLogger, Depends(get_access_logger)]

IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        description="a key you choose per action; a retry with the same key and body never acts"
        " twice and returns the first response",
        min_length=8,
        max_length=128,
        pattern=r"^[A-Za-z0-9._:-]+$",
    ),
]
