"""The principal behind a request: a role, an organisation and a pseudonymous subject."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel


class Role(StrEnum):
    """What a token may be used for."""

    AGENCY = "agency"
    CASEWORKER = "caseworker"
    AUDITOR = "auditor"
    ADMIN = "admin"  # operators: health and tokens only, never a person's data


class Principal(BaseModel, frozen=True):
    """The authenticated caller.

    ``subject_id`` is the pseudonymous id of the person or system acting: a case worker's
    coordinator id, an agency system's id, an auditor's id. It becomes the commands' ``actor``.
    """

    token_id: str
    role: Role
    organisation_id: str
    subject_id: str

    @property
    def key(self) -> str:
        """Identity of the caller across token rotation (idempotency keys are scoped to it)."""
        return f"{self.role.value}:{self.organisation_id}:{self.subject_id}"

    @property
    def actor(self) -> str:
        """The id recorded as the actor of the commands this caller sends."""
        return self.subject_id or self.organisation_id
