"""The asyncpg pool the event store expects: JSON codecs and safety timeouts set once."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

# Why these defaults: readers of the global log wait for the oldest open transaction in the
# cluster, so a session left idle inside a transaction would pause every subscriber; and a
# writer stuck behind a lock should fail and be retried rather than hang.
DEFAULT_SERVER_SETTINGS = {
    "idle_in_transaction_session_timeout": "60s",
    "lock_timeout": "30s",
    "application_name": "pathways",
}


class StoreConnection(asyncpg.Connection):
    """A pooled connection that can skip the pool's reset after the store's own statements.

    Why: asyncpg resets every connection it takes back (``RESET ALL``, ``UNLISTEN *``, ...), one
    extra round trip per use, which on a single-event append costs as much as the append's own
    server work. The store's statements never change session state (no ``SET``, ``LISTEN``,
    session advisory lock or open cursor), so after one of them succeeds the store marks the
    connection untouched and the reset is skipped once. Any other use, or a failed statement,
    gets the full reset.
    """

    __slots__ = ("_session_untouched",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._session_untouched = False

    def mark_session_untouched(self) -> None:
        """Skip the next reset: everything run on this lease left the session as it was."""
        self._session_untouched = True

    def take_session_untouched(self) -> bool:
        """Whether the reset may be skipped now (and clear the mark)."""
        untouched, self._session_untouched = self._session_untouched, False
        return untouched

    @property
    def session_untouched(self) -> bool:
        """Whether the next reset will be skipped."""
        return self._session_untouched


class StorePool(asyncpg.Pool):
    """asyncpg's pool, returning an untouched connection without a task of its own.

    Why: ``Pool.release`` wraps the holder's release in ``asyncio.shield``, a new task and two
    more turns of the event loop per use, so that a cancelled caller cannot strand a connection
    whose reset is still running. A connection the store marked untouched needs no reset: its
    release runs to the end without ever suspending, so no cancellation can cut into it and the
    shield buys nothing. On a single-event append the shield cost about a tenth of the client's
    time. Everything else (a touched session, an open transaction, a foreign proxy) takes the
    ordinary path.

    This reads three private attributes of asyncpg (the proxy's ``_con`` and ``_holder``, the
    holder's ``_timeout``); ``tests/integration/eventstore/test_pool.py`` pins the behaviour
    and pyproject.toml pins the minor version.
    """

    async def release(
        self,
        connection: Any,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - asyncpg's signature
    ) -> None:
        """Return ``connection`` to the pool (see the class docstring for the fast path)."""
        con = getattr(connection, "_con", None)
        if (
            type(connection) is PoolConnectionProxy
            and isinstance(con, StoreConnection)
            and con.session_untouched
            and not con.is_in_transaction()
            and connection._holder._pool is self
        ):
            holder = connection._holder
            if timeout is None:
                timeout = holder._timeout  # type: ignore[attr-defined]
            # What Pool.release does, less the shield: the connection's own housekeeping, then
            # the holder's release, which here awaits nothing that suspends.
            con._on_release()  # type: ignore[attr-defined]
            await holder.release(timeout)
            return
        await super().release(connection, timeout=timeout)


async def _reset_connection(connection: asyncpg.Connection) -> None:
    if isinstance(connection, StoreConnection) and connection.take_session_untouched():
        return
    query = connection.get_reset_query()
    if query:
        await connection.execute(query)


def mark_session_untouched(connection: object) -> None:
    """Tell the pool that ``connection`` (a pooled one, or its proxy) needs no reset this time.

    Does nothing for connections of pools not made by ``create_pool``.
    """
    mark = getattr(connection, "mark_session_untouched", None)
    if mark is not None:
        mark()


async def _init_connection(connection: asyncpg.Connection, role: str | None) -> None:
    for type_name in ("json", "jsonb"):
        await connection.set_type_codec(
            type_name, schema="pg_catalog", encoder=json.dumps, decoder=json.loads
        )
    if role is not None:
        # SET ROLE survives the pool's RESET ALL between uses, so every use runs as ``role``.
        await connection.execute(f"SET ROLE {_quote_identifier(role)}")


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def create_pool(dsn: str, *, role: str | None = None, **kwargs: Any) -> asyncpg.Pool:
    """Create the process's pool.

    Args:
        dsn: a libpq-style DSN.
        role: a role to ``SET ROLE`` to on every connection, e.g. ``"pathways_app"`` when the
            DSN's user owns the schema but the application should run with least privilege.
        **kwargs: ``asyncpg.create_pool``'s parameters; ``server_settings`` are merged over the
            defaults above.

    Returns:
        An open pool whose connections decode ``json``/``jsonb`` to Python values.
    """
    settings = {**DEFAULT_SERVER_SETTINGS, **kwargs.pop("server_settings", {})}
    user_init = kwargs.pop("init", None)

    async def init(connection: asyncpg.Connection) -> None:
        await _init_connection(connection, role)
        if user_init is not None:
            await user_init(connection)

    kwargs.setdefault("connection_class", StoreConnection)
    kwargs.setdefault("reset", _reset_connection)
    # asyncpg.create_pool's defaults, for its Pool's keyword-only parameters.
    kwargs.setdefault("record_class", asyncpg.Record)
    kwargs.setdefault("min_size", 10)
    kwargs.setdefault("max_size", 10)
    kwargs.setdefault("max_queries", 50_000)
    kwargs.setdefault("max_inactive_connection_lifetime", 300.0)
    kwargs.setdefault("loop", None)
    pool = StorePool(dsn, server_settings=settings, init=init, **kwargs)
    await pool
    return pool
