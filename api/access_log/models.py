"""Entries of the access log as written and as read back."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field


class AccessEntry(BaseModel, frozen=True):
    """One attempt on a person's data (a read, a list, an export or a command), whatever its
    outcome. Pseudonymous ids only; never the request's body.

    ``resource`` is the route template (``GET /caseworker/pathways/{pathway_id}``), never the
    query string; ``pathway_id`` is the one pathway named, ``pathway_ids`` those a list returned.
    The principal's fields (and the purpose) are None when the request was refused before its
    token was checked (401; a body that is not JSON; a method the route lacks): who it was is
    unknown. ``status`` is the HTTP status answered and ``reason``
    the error code of a refusal (both None on entries written before they were recorded).
    """

    principal_id: str | None
    role: str | None
    organisation_id: str | None
    subject_id: str | None
    purpose: str | None
    action: Literal["read", "query", "export", "write"]
    resource: str
    pathway_id: str | None = None
    pathway_ids: list[str] = Field(default_factory=list)
    outcome: Literal["allowed", "denied"] = "allowed"
    status: int | None = None
    reason: str | None = None


class AccessRecord(AccessEntry, frozen=True):
    """An entry as stored: its place in the chain and when it was written."""

    seq: int
    entry_id: UUID
    recorded_at: AwareDatetime
    previous_hash: str
    entry_hash: str


class AccessLogReport(BaseModel, frozen=True):
    """Result of checking the access log's hash chain, its signed seals and any anchors."""

    ok: bool
    entries_checked: int
    first_failure: str | None = None
    failures: list[str] = Field(default_factory=list)
    seals_checked: int = 0
    unsealed_entries: int = 0
    """Entries after the newest seal: chained, but not yet covered by a signed seal."""
    last_seal_number: int | None = None
    last_seal_digest: str | None = None
    signatures_checked: bool = False
