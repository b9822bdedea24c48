"""Marking fields that hold personal data.

The event store encrypts these fields per person (crypto-shredding); everything else in an event is
pseudonymous and stays readable after erasure. Mark a field with ``Annotated[..., PERSONAL]`` or use
the ready-made ``PersonalText`` / ``OptionalPersonalText`` aliases.
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import BaseModel, StringConstraints


class _PersonalMarker:
    """Metadata object placed in ``Annotated`` to flag a field as personal data."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "PERSONAL"


PERSONAL: Final = _PersonalMarker()

PersonalText = Annotated[str, StringConstraints(max_length=4000), PERSONAL]
OptionalPersonalText = Annotated[str | None, PERSONAL]


def personal_fields(model_cls: type[BaseModel]) -> frozenset[str]:
    """Return the names of the top-level fields of ``model_cls`` marked as personal data.

    Args:
        model_cls: an event (or any pydantic model) class.

    Returns:
        The field names whose annotation carries the ``PERSONAL`` marker.
    """
    return frozenset(
        name
        for name, field in model_cls.model_fields.items()
        if any(item is PERSONAL for item in field.metadata)
    )
