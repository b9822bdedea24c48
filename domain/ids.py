"""Pseudonymous identifiers.

Every id in the domain is an opaque string chosen outside the domain (pathway, organisation, worker)
or derived from a UUID handed in by the caller (handover, gap, consent, job). None of them may carry
personal data: they end up in Temporal workflow ids, search attributes and logs.
"""

from __future__ import annotations

import typing
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, StringConstraints

_Opaque = StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")


class _NamesOrganisation:
    """Marks an id type whose values are organisation ids (pydantic ignores the marker)."""


_ORGANISATION = _NamesOrganisation()

PathwayId = Annotated[str, _Opaque]
OrgId = Annotated[str, _Opaque, _ORGANISATION]
WorkerId = Annotated[str, _Opaque]
ActorId = Annotated[str, _Opaque]
HandoverId = Annotated[str, _Opaque]
GapId = Annotated[str, _Opaque]
ConsentId = Annotated[str, _Opaque]
JobId = Annotated[str, _Opaque]
OfferId = Annotated[str, _Opaque]
FundingId = Annotated[str, _Opaque]
EmployerId = Annotated[str, _Opaque]
SubjectId = Annotated[str, _Opaque]
"""What a deadline watches: a handover, gap, job or discharge id."""


def derived_id(prefix: str, uuid: UUID) -> str:
    """Return a short, readable id such as ``h-1a2b3c4d5e6f`` for a new thing in a pathway.

    The last twelve hex digits (48 bits, random in a version-4 UUID) are plenty inside one
    person's pathway; the decision functions still refuse a duplicate, so a collision would be
    reported, never merged.
    """
    return f"{prefix}-{uuid.hex[-12:]}"


def _marked(annotation: Any) -> bool:
    # OrgId directly, or inside Optional / dict values / collections (``dict[Track, OrgId]``).
    if any(m is _ORGANISATION for m in getattr(annotation, "__metadata__", ())):
        return True
    return any(_marked(arg) for arg in typing.get_args(annotation))


def _ids_in(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [i for v in value.values() for i in _ids_in(v)]
    if isinstance(value, list | tuple | set | frozenset):
        return [i for v in value for i in _ids_in(v)]
    return []


def organisations_named(model: BaseModel) -> list[tuple[str, str]]:
    """Every organisation id a command (or any model) names, as ``(field, org id)``.

    Fields are those typed :data:`OrgId` (alone, optional, or as a dict's values); a dict's entry
    is named ``field.key`` so a refusal can point at it (``tracks.clinical``).
    """
    named: list[tuple[str, str]] = []
    for name, info in type(model).model_fields.items():
        if not (any(m is _ORGANISATION for m in info.metadata) or _marked(info.annotation)):
            continue
        value = getattr(model, name)
        if isinstance(value, dict):
            named += [(f"{name}.{key}", org) for key, v in value.items() for org in _ids_in(v)]
        else:
            named += [(name, org) for org in _ids_in(value)]
    return named
