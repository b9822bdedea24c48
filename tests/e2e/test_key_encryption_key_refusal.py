"""A process that would touch personal data refuses to start without the key-encryption key."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.e2e.conftest import RunCli
from tests.integration.eventstore.factories import new_event, stream_name
from workers.database import connect_database
from workers.settings import Settings


@pytest.fixture
async def wrapped_data(database_url: str, tmp_path: Path) -> str:
    """A database holding one person's data, wrapped under the suite's key-encryption key."""
    database = await connect_database(Settings(data_dir=tmp_path / "writer"), database_url)
    try:
        person = f"person-{uuid.uuid4()}"
        await database.event_store().append(
            stream_name(), [new_event(subject_id=person, personal=frozenset({"n"}), n="words")]
        )
    finally:
        await database.close()
    return database_url


@pytest.mark.parametrize(
    "command",
    [("admin", "keys", "status"), ("worker",), ("audit", "verify"), ("api",)],
    ids=["admin", "worker", "audit", "api"],
)
def test_without_the_key_a_process_refuses_with_one_line_naming_the_setting(
    run_cli: RunCli, wrapped_data: str, temporal_address: str, command: tuple[str, ...]
) -> None:
    result = run_cli(
        *command,
        env={
            "PATHWAYS_DATABASE_URL": wrapped_data,
            "PATHWAYS_TEMPORAL_ADDRESS": temporal_address,
            "PATHWAYS_KEY_ENCRYPTION_KEY": "",  # the data directory's key file, which is absent
        },
        timeout=120,
    )

    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.strip().splitlines() if line.startswith("pathways:")]
    assert len(lines) == 1, result.stderr
    assert "PATHWAYS_KEY_ENCRYPTION_KEY" in lines[0]
    assert "key-encryption.key is missing" in lines[0]


def test_with_the_key_the_status_names_the_key_and_what_it_wraps(
    run_cli: RunCli, wrapped_data: str
) -> None:
    result = run_cli("admin", "keys", "status", env={"PATHWAYS_DATABASE_URL": wrapped_data})

    assert result.returncode == 0, result.stderr
    assert "in use, held, wraps 1 data key(s)" in result.stdout
