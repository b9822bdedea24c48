"""``decide``: the one entry point that turns a command into events.

Signature, for every caller (workflow, tests, tools)::

    decide(state, command, *, template, now, new_id) -> list[Event]

- ``template`` is the jurisdiction template the pathway pinned (``load_template(state.template_id,
  state.template_version)``); for ``OpenPathway`` the one the command names.
- ``now`` is an aware datetime (``workflow.now()`` in the workflow); it becomes every event's
  ``occurred_at`` and is the "now" of every rule.
- ``new_id`` returns a fresh UUID per call (``workflow.uuid4`` in the workflow). ``decide`` calls it
  in a deterministic order: once per event for ``event_id``, and once for each new thing it creates
  (handover, gap, consent, job, ...). Identical inputs give identical events.

Nothing is mutated. A broken rule raises a ``DomainError`` subclass and decides nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from pydantic import ValidationError

from domain.commands import Command
from domain.errors import InvalidCommandError, TemplateMismatchError
from domain.events import Event
from domain.rules import benefits, clinical, consent, deadlines, employment, gaps, handover, pathway
from domain.rules.context import Context, Decider
from domain.state import PathwayState
from domain.templates import JurisdictionTemplate

DECIDERS: dict[type, Decider] = {
    **pathway.DECIDERS,
    **handover.DECIDERS,
    **clinical.DECIDERS,
    **gaps.DECIDERS,
    **consent.DECIDERS,
    **employment.DECIDERS,
    **benefits.DECIDERS,
    **deadlines.DECIDERS,
}


def decide(
    state: PathwayState,
    command: Command,
    *,
    template: JurisdictionTemplate,
    now: datetime,
    new_id: Callable[[], UUID],
) -> list[Event]:
    """Decide the events a command causes in a pathway.

    Args:
        state: the pathway's current state (``PathwayState.new(pathway_id)`` before opening).
        command: what is asked.
        template: the pinned jurisdiction template.
        now: the current time, timezone-aware.
        new_id: source of fresh UUIDs for event ids and new local ids.

    Returns:
        The events to append, in order; possibly empty (e.g. a deadline that no longer applies).

    Raises:
        DomainError: the command breaks a rule; nothing was decided.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise InvalidCommandError("now must be timezone-aware")
    pinned = (state.template_id, state.template_version)
    if state.template_id is not None and pinned != (template.id, template.version):
        raise TemplateMismatchError(
            f"pathway {state.pathway_id} runs under template {state.template_id} "
            f"v{state.template_version}, not {template.id} v{template.version}"
        )
    _check_bounds(command)
    decider = DECIDERS.get(type(command))
    if decider is None:
        raise InvalidCommandError(f"unknown command {type(command).__name__}")
    context = Context(
        template=template, now=now, new_id=new_id, actor=command.actor, pathway_id=state.pathway_id
    )
    return decider(state, command, context)


def _check_bounds(command: Command) -> None:
    """Refuse a command whose fields break their types' bounds, however it was built.

    Commands are validated when they are parsed (the API's body, the workflow's update payload),
    but one built with ``model_construct`` or changed with ``model_copy(update=...)`` skips that;
    validating again here keeps a control character, an unbounded text or a date PostgreSQL cannot
    hold out of the events whatever the caller did.

    Raises:
        InvalidCommandError: naming the first field out of bounds.
    """
    try:
        type(command).model_validate(command.model_dump())
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "command"
        raise InvalidCommandError(f"{field}: {first['msg']}") from None
