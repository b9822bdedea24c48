"""Which PostgreSQL login a process migrates with, and which one it works with.

Only migrations run as the schema owner. Every other session of the worker, the API and the CLI
runs as a login role that is a member of ``pathways_app`` (eventstore/migrations/0007, 0009), so
``pg_stat_activity`` shows that login and a session cannot ``RESET ROLE`` its way to the owner.

* Embedded PostgreSQL: pgserver's superuser migrates; the processes log in as ``pathways_web``,
  created (or given its password again) on every migration, with a random password kept in the
  data directory's ``database-app.password`` (mode 0600).
* ``PATHWAYS_DATABASE_OWNER_URL`` and ``PATHWAYS_DATABASE_URL``: the first migrates, the second
  is the application's login, which must not be a superuser or own the schema.
* ``PATHWAYS_DATABASE_URL`` alone: it migrates. When its user is a superuser or owns the schema,
  the process warns loudly and runs every session with ``SET ROLE pathways_app``: the privileges
  are the application role's, but a session could ``RESET ROLE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg
import structlog

from eventstore.connections import Connection
from workers.key_files import key_file_key
from workers.settings import Settings

log = structlog.get_logger()

APPLICATION_ROLE = "pathways_app"
"""The NOLOGIN role that holds the application's privileges (eventstore 0007, 0009)."""

EMBEDDED_LOGIN = "pathways_web"
"""The login role the processes use on the embedded PostgreSQL."""

PASSWORD_FILE = "database-app.password"  # noqa: S105 - a file name, not a password
"""The embedded login's password, in the data directory (mode 0600)."""

# Why a lock of its own: `pathways dev up` starts a worker and the API at once, and two
# concurrent ALTER ROLE statements on one role fail with "tuple concurrently updated".
_LOGIN_LOCK = 0x70617468776C6F67  # "pathwlog"


class DatabaseLoginError(Exception):
    """The configured logins cannot give least privilege; the message is one line naming the
    setting."""


@dataclass(frozen=True)
class ApplicationLogin:
    """How the process's pool connects.

    Attributes:
        dsn: the DSN of the pool's connections.
        set_role: a role to ``SET ROLE`` to on every connection (only when the one DSN given
            names the schema owner), else None.
    """

    dsn: str
    set_role: str | None = None


def owner_dsn(settings: Settings, dsn: str) -> str:
    """The DSN migrations use: the owner's setting when given, else the process's DSN."""
    if settings.database_owner_url is not None:
        return settings.database_owner_url.get_secret_value()
    return dsn


def embedded_password(settings: Settings) -> str:
    """The embedded login's password, created on first use.

    Raises:
        KeyFileError: the file cannot be made or read; one line naming the path.
    """
    key = key_file_key(
        settings.state_dir / PASSWORD_FILE, setting="PATHWAYS_DATA_DIR", what="the password"
    )
    return key.hex()


def with_login(dsn: str, user: str, password: str) -> str:
    """``dsn`` with its user and password replaced (host, database and options kept)."""
    parts = urlsplit(dsn)
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


async def ensure_embedded_login(connection: Connection, password: str) -> None:
    """Create the embedded login (member of ``pathways_app``) or give it ``password`` again.

    Runs as the embedded server's superuser, after the migrations created ``pathways_app``.
    """
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", _LOGIN_LOCK)
        exists = await connection.fetchval(
            "SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = $1)", EMBEDDED_LOGIN
        )
        # CREATE ROLE takes no parameters: format() quotes the name and the password.
        # Why these attributes: the login inherits pathways_app's privileges and nothing else;
        # it may not create roles or databases, bypass row security or replicate.
        template = (
            "ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
            " INHERIT PASSWORD %L"
            if exists
            else "CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION"
            " NOBYPASSRLS INHERIT PASSWORD %L IN ROLE " + APPLICATION_ROLE
        )
        statement = await connection.fetchval(
            "SELECT format($1::text, $2::text, $3::text)", template, EMBEDDED_LOGIN, password
        )
        await connection.execute(statement)
        if exists:
            await connection.execute(f"GRANT {APPLICATION_ROLE} TO {EMBEDDED_LOGIN}")


async def application_login(settings: Settings, dsn: str) -> ApplicationLogin:
    """Decide how the process's pool connects (after the migrations ran).

    Raises:
        DatabaseLoginError: the application's DSN names a superuser or the schema owner although
            an owner DSN was given, or a login without ``pathways_app``'s privileges.
        KeyFileError: the embedded login's password file cannot be made or read.
    """
    if settings.embedded_postgres:
        return ApplicationLogin(with_login(dsn, EMBEDDED_LOGIN, embedded_password(settings)))
    facts = await _login_facts(dsn)
    if settings.database_owner_url is not None:
        if facts.superuser or facts.owns_schema:
            raise DatabaseLoginError(
                f"PATHWAYS_DATABASE_URL must name the application's login, not a superuser or"
                f" the schema owner ({facts.user}); PATHWAYS_DATABASE_OWNER_URL is for migrations"
            )
        if not facts.member:
            raise DatabaseLoginError(
                f"PATHWAYS_DATABASE_URL: {facts.user} is not a member of {APPLICATION_ROLE}"
                f" (GRANT {APPLICATION_ROLE} TO {facts.user})"
            )
        return ApplicationLogin(dsn)
    if facts.superuser or facts.owns_schema:
        log.warning(
            "database_login_is_owner",
            user=facts.user,
            detail=(
                "PATHWAYS_DATABASE_URL names a superuser or the schema owner; sessions run with"
                f" SET ROLE {APPLICATION_ROLE}, which they could reset. Set"
                " PATHWAYS_DATABASE_OWNER_URL for migrations and give PATHWAYS_DATABASE_URL a"
                f" login that is a member of {APPLICATION_ROLE}."
            ),
        )
        return ApplicationLogin(dsn, set_role=APPLICATION_ROLE if facts.role_exists else None)
    if not facts.member:
        raise DatabaseLoginError(
            f"PATHWAYS_DATABASE_URL: {facts.user} is not a member of {APPLICATION_ROLE}"
            f" (GRANT {APPLICATION_ROLE} TO {facts.user})"
        )
    return ApplicationLogin(dsn)


@dataclass(frozen=True)
class _LoginFacts:
    user: str
    superuser: bool
    owns_schema: bool
    role_exists: bool
    member: bool


async def _login_facts(dsn: str) -> _LoginFacts:
    connection = await asyncpg.connect(dsn)
    try:
        row = await connection.fetchrow(
            """
            SELECT current_user AS user,
                   r.rolsuper AS superuser,
                   EXISTS (SELECT FROM pg_namespace n WHERE n.nspname = 'eventstore'
                           AND pg_has_role(r.oid, n.nspowner, 'USAGE')) AS owns_schema,
                   EXISTS (SELECT FROM pg_roles WHERE rolname = $1) AS role_exists,
                   EXISTS (SELECT FROM pg_roles a WHERE a.rolname = $1
                           AND pg_has_role(r.oid, a.oid, 'USAGE')) AS member
            FROM pg_roles r WHERE r.rolname = current_user
            """,
            APPLICATION_ROLE,
        )
    finally:
        await connection.close()
    assert row is not None
    return _LoginFacts(**dict(row))
