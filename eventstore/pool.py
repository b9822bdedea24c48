"""The asyncpg pool the event store expects: JSON codecs and safety timeouts set once."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

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
        **kwargs: passed to ``asyncpg.create_pool``; ``server_settings`` are merged over the
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
    pool = await asyncpg.create_pool(dsn, server_settings=settings, init=init, **kwargs)
    assert pool is not None
    return pool
