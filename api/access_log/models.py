"""Entries of the access log as written and as read back."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field


class AccessEntry(BaseModel, frozen=True):
    """One read (or refused read) of a person's data. Pseudonymous ids only.

    ``resource`` is the route template (``GET /caseworker/pathways/{pathway_id}``), never the
    query string; ``pathway_id`` is the one pathway read, ``pathway_ids`` those a list returned.
    """

    principal_id: str
    role: str
    organisation_id: str
    subject_id: str
    purpose: str
    action: Literal["read", "query", "export"]
    resource: str
    pathway_id: str | None = None
    pathway_ids: list[str] = Field(default_factory=list)
    outcome: Literal["allowed", "denied"] = "allowed"


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
