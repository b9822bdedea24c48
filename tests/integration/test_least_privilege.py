"""Least privilege: what a session of the application's login may and may not do.

Every test here connects as a real LOGIN role that is a member of ``pathways_app`` (the
``app_database_url`` fixture), on a database its owner migrated: the split every process uses.
SQLSTATE 42501 is ``insufficient_privilege``; PW003 is the store's "append-only" refusal.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest

from api.auth.principals import Role
from api.auth.tokens import authenticate, issue_token, revoke_token
from eventstore import PostgresEventStore, create_pool
from tests.integration.eventstore.factories import new_event, stream_name

INSUFFICIENT_PRIVILEGE = "42501"


@pytest.fixture
async def app_pool(app_database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool of the application's login, as a process opens it."""
    pool = await create_pool(app_database_url, min_size=1, max_size=4)
    yield pool
    await pool.close()


@pytest.fixture
async def owner(database_url: str, app_database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection of the schema owner (the pgserver superuser), after the migrations ran."""
    connection = await asyncpg.connect(database_url)
    yield connection
    await connection.close()


async def _refused(pool: asyncpg.Pool, statement: str) -> str:
    with pytest.raises(asyncpg.PostgresError) as caught:
        await pool.execute(statement)
    return str(caught.value.sqlstate)


async def test_the_application_login_appends_through_both_paths_and_the_chain_verifies(
    app_pool: asyncpg.Pool,
) -> None:
    assert await app_pool.fetchval("SELECT session_user") != "postgres"
    store = PostgresEventStore(app_pool)
    stream = stream_name()
    before = await app_pool.fetchval("SELECT clock_timestamp()")
    # A new stream and a batch: append_events (0003).
    await store.append(stream, [new_event(n=1), new_event(n=2)], expected_version=0)
    # One event to an existing stream, pooled: append_event_to_head (0009).
    await store.append(stream, [new_event(n=3)], expected_version=2)
    # One event inside the caller's transaction: append_event (0008).
    async with app_pool.acquire() as connection, connection.transaction():
        await store.append(stream, [new_event(n=4)], expected_version=3, connection=connection)
    # A replay of the last append writes nothing and answers the recorded place.
    events = await store.read_stream(stream)
    after = await app_pool.fetchval("SELECT clock_timestamp()")

    assert [e.version for e in events] == [1, 2, 3, 4]
    # recorded_at is the database clock inside the functions: the caller has no say in it.
    assert all(before <= e.recorded_at <= after for e in events)
    assert (await store.verify()).ok


@pytest.mark.parametrize(
    "statement",
    [
        # A back-dated event: correctly shaped, its hash chained by hand, recorded in 2020.
        """INSERT INTO eventstore.events (stream_id, version, event_id, type, schema_version,
               payload, metadata, recorded_at, hash)
           SELECT s.stream_id, s.version + 1, gen_random_uuid(), 'Forged', 1, '{}', '{}',
                  '2020-01-01T00:00:00Z', sha256(s.last_hash)
           FROM eventstore.streams s""",
        "UPDATE eventstore.events SET type = 'Changed'",
        "DELETE FROM eventstore.events",
        "INSERT INTO eventstore.streams (stream_id, version, last_hash) VALUES ('s-x', 9, '\\x00')",
        "UPDATE eventstore.streams SET version = version - 1",
        "SELECT nextval('eventstore.events_position_seq')",
    ],
)
async def test_the_application_login_cannot_write_the_log_or_the_stream_heads_directly(
    app_pool: asyncpg.Pool, statement: str
) -> None:
    store = PostgresEventStore(app_pool)
    await store.append(stream_name(), [new_event()])

    assert await _refused(app_pool, statement) == INSUFFICIENT_PRIVILEGE
    assert (await store.verify()).ok


async def test_an_application_session_cannot_become_the_owner(app_pool: asyncpg.Pool) -> None:
    login = await app_pool.fetchval("SELECT session_user")

    async with app_pool.acquire() as connection:
        for statement in ("SET ROLE postgres", "SET SESSION AUTHORIZATION postgres"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError) as caught:
                await connection.execute(statement)
            assert caught.value.sqlstate == INSUFFICIENT_PRIVILEGE
        # RESET ROLE is allowed but returns to the login itself: nothing is gained.
        await connection.execute("RESET ROLE")
        assert await connection.fetchval("SELECT current_user") == login
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await connection.execute("DELETE FROM eventstore.events")
    rights = await app_pool.fetchrow(
        "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = $1", login
    )
    assert rights is not None
    assert dict(rights) == {"rolsuper": False, "rolcreaterole": False, "rolcreatedb": False}


async def test_tokens_are_issued_and_revoked_only_through_functions_and_stay_revoked(
    app_pool: asyncpg.Pool, owner: asyncpg.Connection
) -> None:
    async with app_pool.acquire() as connection:
        issued = await issue_token(
            connection,
            role=Role.AUDITOR,
            organisation_id="org-nl-hospital-1",  # registered by the templates' seed
            subject_id="aud-1",
            expires_in=timedelta(days=1),
        )
        now = await connection.fetchval("SELECT clock_timestamp()")
        assert await authenticate(connection, issued.token, now=now) is not None
        assert await revoke_token(connection, issued.info.token_id)
        assert await revoke_token(connection, issued.info.token_id)  # again: still revoked
        assert not await revoke_token(connection, "tok-unknown")
        assert await authenticate(connection, issued.token, now=now) is None
    token_id = issued.info.token_id

    for statement in (
        f"UPDATE api.tokens SET revoked_at = NULL WHERE token_id = '{token_id}'",
        f"DELETE FROM api.tokens WHERE token_id = '{token_id}'",
        "INSERT INTO api.tokens (token_id, token_hash, role, organisation_id, subject_id,"
        " expires_at) VALUES ('tok-mine', sha256('x'), 'admin', 'o', 's', now() + interval '1 y')",
        "TRUNCATE api.tokens",
    ):
        assert await _refused(app_pool, statement) == INSUFFICIENT_PRIVILEGE, statement

    # The owner is refused too: a revocation is final for every role the trigger binds.
    for statement in (
        f"UPDATE api.tokens SET revoked_at = NULL WHERE token_id = '{token_id}'",
        f"UPDATE api.tokens SET revoked_at = revoked_at - interval '1 day'"
        f" WHERE token_id = '{token_id}'",
        f"UPDATE api.tokens SET role = 'admin' WHERE token_id = '{token_id}'",
        f"UPDATE api.tokens SET expires_at = expires_at + interval '1 day'"
        f" WHERE token_id = '{token_id}'",
        f"DELETE FROM api.tokens WHERE token_id = '{token_id}'",
        "TRUNCATE api.tokens",
    ):
        with pytest.raises(asyncpg.PostgresError) as caught:
            await owner.execute(statement)
        assert caught.value.sqlstate == "PW003", statement
    assert await owner.fetchval(
        "SELECT revoked_at IS NOT NULL FROM api.tokens WHERE token_id = $1", token_id
    )


async def test_a_token_cannot_be_issued_back_dated_or_without_a_lifetime(
    app_pool: asyncpg.Pool,
) -> None:
    with pytest.raises(asyncpg.PostgresError) as caught:
        await app_pool.fetchrow(
            "SELECT * FROM api.issue_token('tok-x', sha256('x'), 'admin', 'o', 's', '-1 day')"
        )
    assert caught.value.sqlstate == "22023"
    row = await app_pool.fetchrow(
        "SELECT created_at, clock_timestamp() AS now FROM api.issue_token("
        "'tok-y', sha256('y'), 'auditor', 'org-a', 'aud-9', '1 hour')"
    )
    assert row is not None
    assert timedelta(0) <= row["now"] - row["created_at"] < timedelta(seconds=5)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE api.access_log SET outcome = 'allowed'",
        "DELETE FROM api.access_log",
        "TRUNCATE api.access_log",
        "DELETE FROM api.access_log_head",
        "TRUNCATE api.idempotency_keys",
        "TRUNCATE projections.caseload",
        "UPDATE pathways.handover_inbox SET to_org = 'org-x'",
        "DELETE FROM pathways.notifications",
        "CREATE TABLE eventstore.mine (x int)",
        "CREATE TABLE public.mine (x int)",
    ],
)
async def test_the_other_tables_grant_only_what_the_application_uses(
    app_pool: asyncpg.Pool, statement: str
) -> None:
    assert await _refused(app_pool, statement) == INSUFFICIENT_PRIVILEGE


async def test_what_the_application_uses_of_the_other_tables_is_granted(
    app_pool: asyncpg.Pool,
) -> None:
    async with app_pool.acquire() as connection, connection.transaction():
        await connection.execute(
            "INSERT INTO api.idempotency_keys (principal, idempotency_key, request_hash)"
            " VALUES ('p', 'k', '\\x00')"
        )
        await connection.execute("UPDATE api.idempotency_keys SET status_code = 200")
        await connection.execute("DELETE FROM api.idempotency_keys")
        await connection.execute("DELETE FROM projections.caseload")
        await connection.execute(
            "INSERT INTO pathways.notifications (notice_id, pathway_id, recipient_role,"
            " recipient_id, subject, level, raised_at) VALUES ($1, 'p-1', 'coordinator',"
            " 'cw-1', 'x', 1, now())",
            uuid.uuid4(),
        )
        assert await connection.fetchval("SELECT count(*) FROM api.access_log") == 0


async def test_the_security_definer_functions_pin_their_search_path_and_are_not_public(
    owner: asyncpg.Connection,
) -> None:
    rows = await owner.fetch(
        """
        SELECT p.oid::regprocedure::text AS name, p.prosecdef, p.proconfig,
               has_function_privilege('public', p.oid, 'EXECUTE') AS public_may_call,
               has_function_privilege('pathways_app', p.oid, 'EXECUTE') AS app_may_call
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE (n.nspname = 'eventstore' AND p.proname LIKE 'append%')
           OR (n.nspname = 'api' AND p.proname IN ('issue_token', 'revoke_token'))
        """
    )
    assert len(rows) == 5
    for row in rows:
        assert row["prosecdef"], row["name"]
        assert "search_path=pg_catalog, pg_temp" in row["proconfig"], row["name"]
        assert not row["public_may_call"], row["name"]
        assert row["app_may_call"], row["name"]


async def test_granting_the_application_role_again_never_reopens_the_seals(
    app_pool: asyncpg.Pool, owner: asyncpg.Connection
) -> None:
    # What a DBA runs after creating pathways_app by hand (eventstore migration 0007's note).
    assert await owner.fetchval("SELECT eventstore.grant_application_role()") is True

    assert (
        await _refused(
            app_pool,
            "INSERT INTO eventstore.seals (seal_number, last_transaction_id, last_position,"
            " event_count, previous_digest, digest) VALUES (1, '1'::xid8, 1, 1,"
            " decode(repeat('00', 32), 'hex'), decode(repeat('00', 32), 'hex'))",
        )
        == INSUFFICIENT_PRIVILEGE
    )
    assert (
        await _refused(app_pool, "INSERT INTO eventstore.events (stream_id) VALUES ('x')")
        == INSUFFICIENT_PRIVILEGE
    )
    # ... and still gives what rotation needs.
    assert await app_pool.fetchval(
        "SELECT has_table_privilege('eventstore.key_encryption_keys', 'UPDATE')"
    )
