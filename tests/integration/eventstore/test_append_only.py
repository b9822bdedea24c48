"""Append-only enforcement: triggers for everyone, and a least-privilege application role."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from eventstore import PostgresEventStore, Subscription, create_pool
from tests.integration.eventstore.factories import new_event, stream_name
from tests.keys import keyed_store


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE eventstore.events SET type = 'Changed'",
        "DELETE FROM eventstore.events",
        "TRUNCATE eventstore.events",
        "UPDATE eventstore.seals SET event_count = 1",
        "DELETE FROM eventstore.seals",
        "TRUNCATE eventstore.seals",
        "DELETE FROM eventstore.subject_keys",
    ],
)
async def test_the_log_refuses_rewrites_even_from_its_owner(
    store: PostgresEventStore, pool: asyncpg.Pool, statement: str
) -> None:
    await store.append(
        stream_name(), [new_event(subject_id="p-1", personal=frozenset({"n"}), n="x")]
    )
    await store.seal()

    with pytest.raises(asyncpg.PostgresError, match=r"append-only|never deleted") as caught:
        await pool.execute(statement)

    assert caught.value.sqlstate == "PW003"
    assert (await store.verify()).ok


async def test_an_erased_key_can_never_come_back(
    store: PostgresEventStore, pool: asyncpg.Pool
) -> None:
    await store.erase("p-2", actor="dpo")

    with pytest.raises(asyncpg.PostgresError, match="cannot come back"):
        await pool.execute(
            "UPDATE eventstore.subject_keys SET data_key = '\\x00', erased_at = NULL"
            " WHERE subject_id = 'p-2'"
        )


@pytest.fixture
async def app_pool(pool: asyncpg.Pool, database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool whose sessions run as pathways_app, the role the migration created."""
    assert await pool.fetchval("SELECT count(*) FROM pg_roles WHERE rolname = 'pathways_app'")
    app = await create_pool(database_url, role="pathways_app", min_size=1, max_size=4)
    yield app
    await app.close()


async def test_the_application_role_may_only_read_the_log_and_append_through_functions(
    pool: asyncpg.Pool,
) -> None:
    privileges = await pool.fetchrow(
        """
        SELECT has_table_privilege('pathways_app', 'eventstore.events', 'SELECT') AS can_select,
               has_table_privilege('pathways_app', 'eventstore.events', 'INSERT') AS can_insert,
               has_table_privilege('pathways_app', 'eventstore.events', 'UPDATE') AS can_update,
               has_table_privilege('pathways_app', 'eventstore.events', 'DELETE') AS can_delete,
               has_table_privilege('pathways_app', 'eventstore.events', 'TRUNCATE') AS can_trunc,
               has_table_privilege('pathways_app', 'eventstore.seals', 'UPDATE') AS seal_update
        """
    )
    assert privileges is not None
    assert dict(privileges) == {
        "can_select": True,
        "can_insert": False,
        "can_update": False,
        "can_delete": False,
        "can_trunc": False,
        "seal_update": False,
    }


async def test_the_store_works_as_the_application_role_which_cannot_rewrite(
    app_pool: asyncpg.Pool,
) -> None:
    assert await app_pool.fetchval("SELECT current_user") == "pathways_app"
    # The role survives the pool's reset between uses.
    assert await app_pool.fetchval("SELECT current_user") == "pathways_app"
    store = keyed_store(app_pool)
    stream = stream_name()
    await store.append(stream, [new_event(subject_id="p-3", personal=frozenset({"n"}), n="x")])
    await store.append(stream, [new_event()], expected_version=1)
    assert len(await store.read_stream(stream)) == 2
    await store.seal()
    await store.erase("p-3", actor="dpo")
    handled: list[int] = []

    async def handler(_: object, event: object) -> None:
        handled.append(1)

    assert await Subscription(store, "as-app", handler).catch_up() == 3
    assert (await store.verify()).ok

    for statement in (
        "UPDATE eventstore.events SET type = 'Changed'",
        "DELETE FROM eventstore.events",
        "TRUNCATE eventstore.events",
        "DELETE FROM eventstore.seals",
        "ALTER TABLE eventstore.events DISABLE TRIGGER ALL",
    ):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app_pool.execute(statement)
