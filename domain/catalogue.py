"""The catalogue: event and command type names <-> classes, versions and personal fields.

This is what the event store and the API use to (de)serialise: ``to_payload`` writes an event as
JSON-ready dict, ``from_payload`` reads any stored version back as the current model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from domain.commands import COMMAND_CLASSES, Command
from domain.events import EVENT_CLASSES, Event
from domain.personal import personal_fields
from domain.upcasting import HISTORIC_PERSONAL_FIELDS, upcast


def _type_name(cls: type[BaseModel]) -> str:
    default = cls.model_fields["type"].default
    assert isinstance(default, str)
    return default


EVENT_TYPES: Mapping[str, type[Event]] = {_type_name(cls): cls for cls in EVENT_CLASSES}
COMMAND_TYPES: Mapping[str, type[Command]] = {_type_name(cls): cls for cls in COMMAND_CLASSES}


def event_class(type_name: str) -> type[Event]:
    """The event class for a type name.

    Raises:
        KeyError: unknown event type.
    """
    try:
        return EVENT_TYPES[type_name]
    except KeyError:
        raise KeyError(f"unknown event type {type_name!r}") from None


def event_type(event: Event | type[Event]) -> str:
    """The type name of an event or event class."""
    cls = event if isinstance(event, type) else type(event)
    return _type_name(cls)


def schema_version(type_name: str) -> int:
    """The current schema version of an event type."""
    return event_class(type_name).schema_version


def personal_fields_of(type_name: str, version: int | None = None) -> frozenset[str]:
    """Top-level personal-data field names of an event type at a version (default: current)."""
    cls = event_class(type_name)
    if version is None or version == cls.schema_version:
        return personal_fields(cls)
    return HISTORIC_PERSONAL_FIELDS.get((type_name, version), personal_fields(cls))


def to_payload(event: Event) -> dict[str, Any]:
    """The event as a JSON-ready dict (includes ``type``; the version travels beside it)."""
    return event.model_dump(mode="json")


def from_payload(type_name: str, version: int, payload: Mapping[str, Any]) -> Event:
    """Read a stored payload of any known version as the current event model."""
    cls = event_class(type_name)
    current = upcast(type_name, version, dict(payload), to_version=cls.schema_version)
    return cls.model_validate(current)
