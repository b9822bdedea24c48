"""Bearer tokens: issued once in plaintext, stored only as a SHA-256 hash, revocable.

A token is 32 random bytes (URL-safe base64) behind a ``pwy_`` prefix. With that much entropy an
unsalted SHA-256 is a one-way lookup key: nothing short of the token itself finds the row.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel

from api.auth.principals import Principal, Role
from api.organisations import inactive_or_unknown
from eventstore.connections import Connection

TOKEN_PREFIX = "pwy_"  # noqa: S105 - a prefix that marks tokens in logs, not a secret
_OPAQUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


class TokenError(ValueError):
    """A token cannot be issued as asked; the message names the option."""


class TokenInfo(BaseModel, frozen=True):
    """A stored token without its secret."""

    token_id: str
    role: Role
    organisation_id: str
    subject_id: str
    created_at: AwareDatetime
    expires_at: AwareDatetime
    revoked_at: AwareDatetime | None


class IssuedToken(BaseModel, frozen=True):
    """A new token: ``token`` is shown once and never stored."""

    token: str
    info: TokenInfo


def token_hash(token: str) -> bytes:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).digest()


async def issue_token(
    conn: Connection,
    *,
    role: Role,
    organisation_id: str,
    subject_id: str | None,
    expires_in: timedelta,
) -> IssuedToken:
    """Create a token for ``role`` in ``organisation_id``, valid from now (database clock).

    Raises:
        TokenError: an id is not a pseudonymous opaque id, the organisation is not registered
            and active, a case worker has no subject, or the lifetime is not positive.
    """
    if not _OPAQUE.match(organisation_id):
        raise TokenError("--organisation must be an opaque id such as org-nl-ips-1")
    if await inactive_or_unknown(conn, [organisation_id]):
        raise TokenError(
            f"--organisation {organisation_id} is not a registered organisation"
            " (see pathways admin org list; add it with pathways admin org add)"
        )
    if subject_id is not None and not _OPAQUE.match(subject_id):
        raise TokenError("--subject must be an opaque id such as cw-0001")
    if role is Role.CASEWORKER and not subject_id:
        raise TokenError("--subject is required for a caseworker (their coordinator id)")
    if expires_in <= timedelta(0):
        raise TokenError("--expires-in must be a positive number of days")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = "tok-" + secrets.token_hex(6)
    # Through api.issue_token (api/migrations/0005): the application role may not write the
    # table itself, and the database clock sets created_at and expires_at.
    row = await conn.fetchrow(
        """
        SELECT token_id, role, organisation_id, subject_id, created_at, expires_at, revoked_at
        FROM api.issue_token($1, $2, $3, $4, $5, $6)
        """,
        token_id,
        token_hash(token),
        role.value,
        organisation_id,
        subject_id or organisation_id,
        expires_in,
    )
    assert row is not None
    return IssuedToken(token=token, info=TokenInfo(**dict(row)))


async def revoke_token(conn: Connection, token_id: str) -> bool:
    """Revoke a token at once, for good; False when no such token exists.

    Revoking twice is fine and keeps the first revocation's time. Goes through
    ``api.revoke_token`` (api/migrations/0005), which can only set a revocation, never clear it.
    """
    return bool(await conn.fetchval("SELECT api.revoke_token($1)", token_id))


async def list_tokens(conn: Connection) -> list[TokenInfo]:
    """Every token, newest first, without secrets."""
    rows = await conn.fetch(
        """
        SELECT token_id, role, organisation_id, subject_id, created_at, expires_at, revoked_at
        FROM api.tokens ORDER BY created_at DESC, token_id
        """
    )
    return [TokenInfo(**dict(row)) for row in rows]


async def authenticate(conn: Connection, token: str, *, now: datetime) -> Principal | None:
    """The principal of a valid token; None when unknown, expired, revoked, or when its
    organisation was removed from the registry (removing an organisation ends its access)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = await conn.fetchrow(
        """
        SELECT t.token_id, t.role, t.organisation_id, t.subject_id FROM api.tokens t
        JOIN api.organisations o ON o.org_id = t.organisation_id AND o.active
        WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2
        """,
        token_hash(token),
        now,
    )
    if row is None:
        return None
    return Principal(
        token_id=row["token_id"],
        role=Role(row["role"]),
        organisation_id=row["organisation_id"],
        subject_id=row["subject_id"],
    )
