"""Reading one pathway from the event store, checking the caller may see it, and sending commands.

Every read goes through :func:`visible_pathway`, which decides on the stream's state with personal
fields sealed (:func:`access_state`), logs the access (allowed or denied) and only then reads the
person's data, when allowed.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.auth.policy import may_read_pathway
from api.auth.principals import Principal
from api.deps import AccessLogger
from api.errors import (
    DEPENDENCY_FAULTS,
    PATHWAY_NOT_FOUND,
    ConflictError,
    NotFoundError,
    UnavailableError,
    UnprocessableError,
)
from api.runtime import ApiRuntime
from api.stand_in import STAND_IN_ID, stand_in_payloads
from domain import Command, DomainError, PathwayState, decide, fold, from_payload, load_template
from domain import errors as domain_errors
from eventstore import PostgresEventStore, RecordedEvent, UnknownPosition
from eventstore.personal_data import PersonalFieldReader
from eventstore.records import EVENT_COLUMNS
from workers.pathway_client import execute, pathway_handle, workflow_not_ready
from workflows.inputs import PATHWAY_ID_PATTERN, CommandOutcome, EventRef, stream_id

# Which refusals are a conflict with the pathway's current state (retrying later may succeed)
# and which are a malformed command for the situation (it will never succeed as sent).
_UNPROCESSABLE = (
    domain_errors.InvalidCommandError,
    domain_errors.ForbiddenReasonError,
    domain_errors.TemplateMismatchError,
    domain_errors.DeadlineNotDueError,
)
_DB_DOWN = DEPENDENCY_FAULTS


class LoadedPathway(BaseModel, frozen=True, arbitrary_types_allowed=True):
    """A pathway's recorded events and the state they fold to."""

    state: PathwayState
    events: list[RecordedEvent]


async def load_pathway(
    store: PostgresEventStore,
    pathway_id: str,
    *,
    as_of_time: datetime | None = None,
    as_of_position: int | None = None,
) -> LoadedPathway | None:
    """Fold the pathway's stream (up to a time or global position); None when it has no events."""
    try:
        recorded = await store.read_stream(
            stream_id(pathway_id), as_of_time=as_of_time, as_of_position=as_of_position
        )
    except UnknownPosition as exc:
        raise UnprocessableError(str(exc), field="position") from exc
    except _DB_DOWN as exc:
        raise UnavailableError("PostgreSQL is unavailable") from exc
    if not recorded:
        return None
    events = [from_payload(r.type, r.schema_version, r.payload) for r in recorded]
    return LoadedPathway(state=fold(events, PathwayState.new(pathway_id)), events=recorded)


# Who may see a pathway is decided on its events with every personal field left sealed (read
# back as erased): the policy reads organisations, statuses and consents only, and not looking up
# the person's data key keeps a denial as cheap as an unknown id's answer (api.stand_in). The
# rows are the store's own columns, so an allowed read decodes them with the store's decoder
# (data keys, upcasters) instead of reading the stream again.
_ACCESS_SQL = f"""
    SELECT {EVENT_COLUMNS} FROM eventstore.events WHERE stream_id = $1 ORDER BY version
"""  # noqa: S608 - EVENT_COLUMNS is a constant, the value a parameter


class AccessState(BaseModel, frozen=True, arbitrary_types_allowed=True):
    """What the policy decides on: the state with personal fields sealed, and the rows read."""

    found: bool
    state: PathwayState
    rows: list[Any]


async def access_state(store: PostgresEventStore, pathway_id: str) -> AccessState:
    """Whether the pathway exists, and the state the policy decides on.

    An unknown id folds the stand-in history instead, so that both answers take the same steps
    and about the same time; its state grants nothing because the pathway does not exist.
    """
    try:
        rows = await store.pool.fetch(_ACCESS_SQL, stream_id(pathway_id))
    except _DB_DOWN as exc:
        raise UnavailableError("PostgreSQL is unavailable") from exc
    sealed = PersonalFieldReader({})
    source = [
        (
            row["type"],
            row["schema_version"],
            sealed.reveal(
                json.loads(row["payload"]),
                row["personal_fields"],
                event_id=row["event_id"],
                subject_id=row["subject_id"] or "",
            ),
        )
        for row in rows
    ] or stand_in_payloads()
    events = [from_payload(type_, version, payload) for type_, version, payload in source]
    start = PathwayState.new(pathway_id if rows else STAND_IN_ID)
    return AccessState(found=bool(rows), state=fold(events, start), rows=list(rows))


async def _revealed(store: PostgresEventStore, pathway_id: str, rows: list[Any]) -> LoadedPathway:
    """The rows ``access_state`` read, with the person's data decrypted, folded."""
    try:
        recorded = await store.decoder.decode(rows)
    except _DB_DOWN as exc:
        raise UnavailableError("PostgreSQL is unavailable") from exc
    events = [from_payload(r.type, r.schema_version, r.payload) for r in recorded]
    return LoadedPathway(state=fold(events, PathwayState.new(pathway_id)), events=recorded)


def _plausible_id(pathway_id: str) -> bool:
    import re

    return re.match(PATHWAY_ID_PATTERN, pathway_id) is not None


async def visible_pathway(
    store: PostgresEventStore,
    principal: Principal,
    access: AccessLogger | None,
    pathway_id: str,
    *,
    now: datetime,
    action: str = "read",
    as_of_time: datetime | None = None,
    as_of_position: int | None = None,
) -> LoadedPathway:
    """The pathway if ``principal`` may see it, logging the access; else the same 404 for all.

    Authorization is decided on the current state even for a point-in-time read: what an agency
    may see is governed by today's consent, not by the consent of the moment read.
    """
    if access is not None:
        await access.db.release()  # the store reads through connections of its own
    plausible = _plausible_id(pathway_id)
    # A denied read and an unknown id take the same steps up to the 404 (api.stand_in).
    access_to = await access_state(store, pathway_id if plausible else STAND_IN_ID)
    allowed = may_read_pathway(principal, access_to.state, now) and access_to.found and plausible
    loaded: LoadedPathway | None = None
    if allowed and as_of_time is None and as_of_position is None:
        loaded = await _revealed(store, pathway_id, access_to.rows)
    elif allowed:
        # Before the entry is written: an unknown position is a 422, logged as such (by the
        # attempts middleware), not as a read that was served.
        loaded = await load_pathway(
            store, pathway_id, as_of_time=as_of_time, as_of_position=as_of_position
        )
        loaded = loaded or LoadedPathway(state=PathwayState.new(pathway_id), events=[])
    if access is not None:
        await access.record(
            action,
            pathway_id=pathway_id if plausible else None,
            outcome="allowed" if allowed else "denied",
            status=200 if allowed else NotFoundError.status_code,
            reason=None if allowed else NotFoundError.code,
        )
    if loaded is None:
        raise NotFoundError(PATHWAY_NOT_FOUND)
    return loaded


def _domain_refusal(exc: DomainError) -> Exception:
    rule = exc.code
    if isinstance(exc, domain_errors.UnknownEntityError):
        return NotFoundError(exc.message, code=rule)
    if isinstance(exc, _UNPROCESSABLE):
        return UnprocessableError(exc.message, code=rule)
    return ConflictError(exc.message, code=rule)


def precheck(state: PathwayState, command: Command, *, now: datetime) -> None:
    """Run the pure domain on the stored state, so a refusal names its rule (409/422/404).

    The workflow decides again with its own state and clock; this only classifies refusals.
    """
    if state.template_id is None or state.template_version is None:
        raise ConflictError("the pathway is not open", code="pathway_state")
    template = load_template(state.template_id, state.template_version)
    counter = iter(range(1, 1_000_000))
    try:
        decide(
            state, command, template=template, now=now, new_id=lambda: uuid.UUID(int=next(counter))
        )
    except DomainError as exc:
        raise _domain_refusal(exc) from exc


def _rule_of(exc: WorkflowUpdateFailedError) -> tuple[str, str]:
    cause: BaseException | None = exc.cause
    while cause is not None:
        if isinstance(cause, ApplicationError):
            name = cause.type or ""
            error_class = getattr(domain_errors, name, None)
            code = getattr(error_class, "code", "rule_refused")
            return str(code), cause.message
        cause = cause.__cause__
    return "rule_refused", str(exc)


async def send_command(
    runtime: ApiRuntime, pathway_id: str, command: Command, *, update_id: str
) -> CommandOutcome:
    """Send a command as the ``execute`` update; refusals and outages become API errors."""
    handle = pathway_handle(runtime.client, pathway_id)
    try:
        return await execute(handle, command, update_id=update_id)
    except WorkflowUpdateFailedError as exc:
        code, message = _rule_of(exc)
        if code in {c.code for c in _UNPROCESSABLE}:
            raise UnprocessableError(message, code=code) from exc
        raise ConflictError(message, code=code) from exc
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND:
            raise ConflictError("the pathway is closed", code="pathway_state") from exc
        if workflow_not_ready(exc):
            raise UnavailableError("the pathway is recovering from a worker restart") from exc
        raise UnavailableError("Temporal is unavailable") from exc


class CommandResult(BaseModel, frozen=True):
    """What a command changed."""

    pathway_id: str
    events: list[EventRef]
    stream_version: int


def command_result(pathway_id: str, outcome: CommandOutcome) -> CommandResult:
    """The API's view of a command outcome."""
    return CommandResult(
        pathway_id=pathway_id, events=outcome.events, stream_version=outcome.stream_version
    )


def as_json(model: BaseModel) -> dict[str, Any]:
    """A model as JSON-ready data."""
    return model.model_dump(mode="json")
