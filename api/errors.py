"""One error shape for every failure, and the handlers that map exceptions onto it.

``{"error": {"code": ..., "message": ..., "field": ...}}``: validation errors are 422 and name the
field; an unknown or not-visible pathway is 404 (the same answer either way, so a refusal never
reveals whether a person exists); a role that may not use an endpoint is 403; a domain rule that
refuses a command is 409 (state conflict) or 422 (malformed for the situation) and names the rule;
a dependency that is down is 503. No input produces any other 5xx.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = structlog.get_logger()


class ErrorBody(BaseModel):
    """What went wrong."""

    code: str
    message: str
    field: str | None = None


class ErrorResponse(BaseModel):
    """The body of every error response."""

    error: ErrorBody


class ApiError(Exception):
    """An expected failure with its HTTP status."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code


class UnauthorizedError(ApiError):
    """No valid bearer token."""

    status_code = 401
    code = "unauthorized"


class ForbiddenError(ApiError):
    """The caller's role may not use this endpoint."""

    status_code = 403
    code = "forbidden"


class NotFoundError(ApiError):
    """No such thing, or not one the caller may see (indistinguishable on purpose)."""

    status_code = 404
    code = "not_found"


class ConflictError(ApiError):
    """The request conflicts with the current state."""

    status_code = 409
    code = "conflict"


class UnprocessableError(ApiError):
    """The request is well-formed JSON but invalid."""

    status_code = 422
    code = "validation_error"


class UnavailableError(ApiError):
    """PostgreSQL or Temporal is down; retry later."""

    status_code = 503
    code = "service_unavailable"


PATHWAY_NOT_FOUND = "no pathway with this id is visible to you"

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in (
        (400, "the body is not JSON"),
        (401, "no valid bearer token"),
        (403, "your role may not do this"),
        (404, "unknown, or not visible to you"),
        (409, "refused by a rule of the pathway, or an idempotency key reused"),
        (413, "the request body is larger than the limit"),
        (415, "the body is not sent as application/json"),
        (422, "invalid input; the field or rule is named"),
        (503, "a dependency is down; retry"),
    )
}


RETRY_AFTER_SECONDS = 2
"""What a 503 tells the client to wait before retrying (PostgreSQL restarting, Temporal away)."""


def error_json(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    """The one error shape as a response."""
    body = ErrorResponse(error=ErrorBody(code=code, message=message, field=field))
    headers = None
    if status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    elif status == 503:
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


DEPENDENCY_FAULTS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08
    asyncpg.OperatorInterventionError,  # class 57: shutting down, starting up, terminated
    asyncpg.InsufficientResourcesError,  # class 53: too many connections
    # asyncpg's state machine, when a backend went away mid-operation ("another operation is in
    # progress"): the connection is broken, not the request.
    asyncpg.InternalClientError,
)
"""PostgreSQL could not be used: each is worth a retry later (503), never a 500."""


def is_dependency_fault(exc: BaseException) -> bool:
    """True when ``exc`` says PostgreSQL or Temporal could not be used, not that a rule broke.

    A connection refused or cut, a server starting up or shutting down (SQLSTATE class 57,
    08), a backend terminated mid-transaction (asyncpg then reports "another operation is in
    progress" or a closed connection), a pool that timed out: each is worth a retry later.
    """
    from temporalio.service import RPCError, RPCStatusCode

    if isinstance(exc, DEPENDENCY_FAULTS):
        return True
    if isinstance(exc, asyncpg.PostgresError):
        sqlstate = str(getattr(exc, "sqlstate", "") or "")
        return sqlstate[:2] in {"08", "57", "53"}
    if isinstance(exc, RPCError):
        return exc.status in {RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED}
    return False


def _field_of(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        source, rest = parts[0], parts[1:]
        return ".".join(rest) if rest else source
    return ".".join(parts)


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    loc = tuple(first.get("loc", ()))
    if first.get("type") == "json_invalid":
        # The location is a byte offset, not a field: say what is wrong instead.
        return error_json(400, "malformed_body", "the body is not valid JSON")
    if loc[:1] == ("body",) and not _json_content_type(request):
        return error_json(
            415, "unsupported_media_type", "send the body as JSON (Content-Type: application/json)"
        )
    field = _field_of(loc)
    message = f"{field}: {first.get('msg', 'invalid')}" if field else str(first.get("msg"))
    return error_json(422, "validation_error", message, field or None)


def _json_content_type(request: Request) -> bool:
    # FastAPI parses a body without a Content-Type as JSON too, so only another type is refused.
    content_type = request.headers.get("content-type")
    if content_type is None:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


async def _model_validation(request: Request, exc: Exception) -> JSONResponse:
    # A command built from a valid body can still break a model rule (a cross-field check).
    assert isinstance(exc, ValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {"loc": (), "msg": "invalid"}
    field = ".".join(str(p) for p in first.get("loc", ()))
    message = f"{field}: {first.get('msg', 'invalid')}" if field else str(first.get("msg"))
    return error_json(422, "validation_error", message, field or None)


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_json(exc.status_code, exc.code, exc.message, exc.field)


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    codes = {
        400: "malformed_body",
        404: "not_found",
        405: "method_not_allowed",
        401: "unauthorized",
        403: "forbidden",
        413: "body_too_large",
    }
    code = codes.get(exc.status_code, "http_error")
    return error_json(exc.status_code, code, str(exc.detail))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    if is_dependency_fault(exc):
        # Not a bug: a dependency went away under the request. 503 with Retry-After, so the
        # client retries with its Idempotency-Key (which then gets the first answer).
        log.warning("dependency_unavailable", error=type(exc).__name__, path=request.url.path)
        return error_json(503, UnavailableError.code, "a dependency is unavailable; retry later")
    # A bug, never an answer to input: logged with its type only (no payloads, no personal data).
    log.error("request_failed", error=type(exc).__name__, path=request.url.path)
    return error_json(500, "internal_error", "internal error")


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers above on ``app``."""
    from temporalio.service import RPCError

    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(ValidationError, _model_validation)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http)
    # The dependency faults by class, so they are answered where routes' errors are (a handler
    # for ``Exception`` alone runs in the outermost layer, which re-raises after answering).
    for fault in (*DEPENDENCY_FAULTS, RPCError):
        app.add_exception_handler(fault, _unexpected)
    app.add_exception_handler(Exception, _unexpected)
