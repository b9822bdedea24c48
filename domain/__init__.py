"""The pure domain of pathways: commands, events, state, rules, deadlines and templates.

Imports only the standard library and pydantic. No clock, no randomness, no I/O beyond reading the
packaged templates: time and new ids are parameters.

Main entry points:

- ``decide(state, command, *, template, now, new_id) -> list[Event]``
- ``evolve(state, event) -> PathwayState`` and ``fold(events, state=None) -> PathwayState``
- ``next_deadlines(state, template) -> list[Deadline]`` and ``due_deadlines(state, template, now)``
- ``load_template(template_id, version=None) -> JurisdictionTemplate``
- ``invariant_violations(state, template, now) -> list[str]``
- ``person_view(state, template, now) -> PersonView``
- ``render_timeline(events) -> list[str]``
- ``catalogue`` (type names, payloads, personal fields) and ``upcasting`` (old payloads)
"""

from __future__ import annotations

from domain.catalogue import (
    COMMAND_TYPES,
    EVENT_TYPES,
    event_class,
    event_type,
    from_payload,
    personal_fields_of,
    schema_version,
    to_payload,
)
from domain.commands import AnyCommand, Command
from domain.deadlines import Deadline, due_deadlines, next_deadlines
from domain.decide import decide
from domain.errors import DomainError
from domain.events import AnyEvent, Event
from domain.evolve import evolve, fold
from domain.invariants import invariant_violations
from domain.person_view import PersonView, person_view
from domain.personal import PERSONAL, personal_fields
from domain.state import PathwayState, PathwayStatus
from domain.templates import JurisdictionTemplate, available_templates, load_template
from domain.timeline import render_timeline

__all__ = [
    "COMMAND_TYPES",
    "EVENT_TYPES",
    "PERSONAL",
    "AnyCommand",
    "AnyEvent",
    "Command",
    "Deadline",
    "DomainError",
    "Event",
    "JurisdictionTemplate",
    "PathwayState",
    "PathwayStatus",
    "PersonView",
    "available_templates",
    "decide",
    "due_deadlines",
    "event_class",
    "event_type",
    "evolve",
    "fold",
    "from_payload",
    "invariant_violations",
    "load_template",
    "next_deadlines",
    "person_view",
    "personal_fields",
    "personal_fields_of",
    "render_timeline",
    "schema_version",
    "to_payload",
]
