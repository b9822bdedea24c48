"""How a process chooses its database login (workers/database.py), on the real PostgreSQL."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg
import pytest
import structlog

from workers.database import connect_database
from workers.database_logins import DatabaseLoginError, with_login
from workers.settings import Settings


def _settings(tmp_path: Path, **dsns: str) -> Settings:
    return Settings(data_dir=tmp_path, **dsns)  # type: ignore[arg-type]


async def test_owner_and_application_dsns_give_a_pool_of_the_application_login(
    database_url: str, app_database_url: str, tmp_path: Path
) -> None:
    settings = _settings(tmp_path, database_url=app_database_url, database_owner_url=database_url)

    database = await connect_database(settings, app_database_url)
    try:
        row = await database.pool.fetchrow("SELECT session_user, current_user")
    finally:
        await database.close()

    assert row is not None
    assert row["session_user"] == row["current_user"] != "postgres"


async def test_an_owner_given_as_the_application_dsn_is_refused_naming_the_setting(
    database_url: str, tmp_path: Path
) -> None:
    settings = _settings(tmp_path, database_url=database_url, database_owner_url=database_url)

    with pytest.raises(DatabaseLoginError) as refused:
        await connect_database(settings, database_url)

    assert str(refused.value).startswith("PATHWAYS_DATABASE_URL must name the application's login")


async def test_one_owner_dsn_warns_and_runs_sessions_as_the_application_role(
    database_url: str, tmp_path: Path
) -> None:
    settings = _settings(tmp_path, database_url=database_url)

    with structlog.testing.capture_logs() as logs:
        database = await connect_database(settings, database_url)
    try:
        row = await database.pool.fetchrow("SELECT session_user, current_user")
    finally:
        await database.close()

    assert row is not None
    assert (row["session_user"], row["current_user"]) == ("postgres", "pathways_app")
    warnings = [log for log in logs if log["event"] == "database_login_is_owner"]
    assert warnings
    assert warnings[0]["log_level"] == "warning"
    assert "PATHWAYS_DATABASE_OWNER_URL" in warnings[0]["detail"]


async def test_a_login_outside_pathways_app_is_refused_naming_the_grant(
    database_url: str, app_database_url: str, tmp_path: Path
) -> None:
    stranger = f"stranger_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(database_url)
    await admin.execute(f'CREATE ROLE "{stranger}" LOGIN')
    try:
        dsn = with_login(database_url, stranger, "unused")
        settings = _settings(tmp_path, database_url=dsn, database_owner_url=database_url)

        with pytest.raises(DatabaseLoginError) as refused:
            await connect_database(settings, dsn)

        assert str(refused.value) == (
            f"PATHWAYS_DATABASE_URL: {stranger} is not a member of pathways_app"
            f" (GRANT pathways_app TO {stranger})"
        )
    finally:
        await admin.execute(f'DROP ROLE "{stranger}"')
        await admin.close()
