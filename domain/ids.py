"""Pseudonymous identifiers.

Every id in the domain is an opaque string chosen outside the domain (pathway, organisation, worker)
or derived from a UUID handed in by the caller (handover, gap, consent, job). None of them may carry
personal data: they end up in Temporal workflow ids, search attributes and logs.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import StringConstraints

_Opaque = StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")

PathwayId = Annotated[str, _Opaque]
OrgId = Annotated[str, _Opaque]
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
