"""Registering, listing and removing organisations (``api.organisations``, migration 0007).

Removing never deletes: pathways, tokens and the access log name organisation ids for ever, so a
removed organisation is marked inactive. An inactive organisation cannot be named by a new token,
pathway or command, and its tokens no longer authenticate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from pydantic import AwareDatetime, BaseModel

from domain import DomainError, load_template
from eventstore.connections import Connection

_OPAQUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
_COLUMNS = "org_id, display_name, template_id, roles, active, created_at, removed_at"


class OrganisationError(ValueError):
    """An organisation cannot be registered or removed as asked; the message names the option."""


class Organisation(BaseModel, frozen=True):
    """A registered organisation."""

    org_id: str
    display_name: str
    template_id: str | None
    roles: list[str]
    active: bool
    created_at: AwareDatetime
    removed_at: AwareDatetime | None


def _checked_roles(template_id: str | None, roles: Iterable[str]) -> list[str]:
    roles = sorted(set(roles))
    if template_id is None:
        if roles:
            raise OrganisationError("--role needs --template: roles are a template's agency roles")
        return roles
    try:
        template = load_template(template_id)
    except DomainError as exc:
        raise OrganisationError(f"--template: no template {template_id!r}") from exc
    known = {agency.role for agency in template.agencies}
    unknown = [r for r in roles if r not in known]
    if unknown:
        raise OrganisationError(
            f"--role: {', '.join(unknown)} is not an agency role of template {template_id}"
            f" (one of: {', '.join(sorted(known))})"
        )
    return roles


async def add_organisation(
    conn: Connection,
    *,
    org_id: str,
    display_name: str,
    template_id: str | None = None,
    roles: Iterable[str] = (),
) -> tuple[Organisation, bool]:
    """Register an organisation; adding one that exists (active or not) changes nothing.

    Returns:
        The organisation as stored, and whether it was added now.

    Raises:
        OrganisationError: the id is not an opaque id, the name is empty or too long, the template
            is unknown or a role is not one of its agency roles.
    """
    if not _OPAQUE.match(org_id):
        raise OrganisationError("ORG_ID must be an opaque id such as org-nl-municipality-3")
    if not 1 <= len(display_name.strip()) <= 200:
        raise OrganisationError("--name must be 1 to 200 characters")
    checked = _checked_roles(template_id, roles)
    row = await conn.fetchrow(
        f"INSERT INTO api.organisations (org_id, display_name, template_id, roles)"  # noqa: S608 - fixed column list
        f" VALUES ($1, $2, $3, $4) ON CONFLICT (org_id) DO NOTHING RETURNING {_COLUMNS}",
        org_id,
        display_name.strip(),
        template_id,
        checked,
    )
    if row is not None:
        return Organisation(**dict(row)), True
    existing = await find_organisation(conn, org_id)
    assert existing is not None
    return existing, False


async def find_organisation(conn: Connection, org_id: str) -> Organisation | None:
    """The organisation with this id, active or not; None when never registered."""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM api.organisations WHERE org_id = $1",  # noqa: S608 - fixed columns
        org_id,
    )
    return None if row is None else Organisation(**dict(row))


async def list_organisations(
    conn: Connection, *, include_removed: bool = False
) -> list[Organisation]:
    """Registered organisations in id order (active ones only, unless asked)."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM api.organisations"  # noqa: S608 - fixed column list
        " WHERE active OR $1 ORDER BY org_id",
        include_removed,
    )
    return [Organisation(**dict(row)) for row in rows]


async def remove_organisation(conn: Connection, org_id: str, *, now: datetime) -> bool:
    """Mark an organisation inactive (never deleted); False when it was never registered.

    Removing one that is already removed is fine (its first removal time stays).
    """
    status = await conn.execute(
        "UPDATE api.organisations SET active = false, removed_at = coalesce(removed_at, $2)"
        " WHERE org_id = $1",
        org_id,
        now,
    )
    return status != "UPDATE 0"


async def inactive_or_unknown(conn: Connection, org_ids: Iterable[str]) -> list[str]:
    """Those of ``org_ids`` that are not registered and active, in the order given."""
    wanted = list(dict.fromkeys(org_ids))
    if not wanted:
        return []
    rows = await conn.fetch(
        "SELECT org_id FROM api.organisations WHERE org_id = ANY($1::text[]) AND active", wanted
    )
    active = {row["org_id"] for row in rows}
    return [org for org in wanted if org not in active]
