"""The key-encryption key from the command line: refusal without it, rotation, status."""

from __future__ import annotations

import json
import stat
import uuid
from pathlib import Path

import pytest

from tests.e2e.conftest import RunCli
from tests.integration.eventstore.factories import new_event, stream_name
from tests.keys import TEST_KEY_ENCRYPTION_KEY, TEST_KEYS
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


def test_rotate_replaces_the_key_file_and_status_shows_the_old_key_retired(
    run_cli: RunCli, wrapped_data: str, tmp_path: Path
) -> None:
    # The embedded default holding the suite's key: the data directory's key file.
    key_file = tmp_path / "data" / "key-encryption.key"
    key_file.parent.mkdir(parents=True)
    key_file.write_text(TEST_KEY_ENCRYPTION_KEY + "\n")
    key_file.chmod(0o600)
    file_mode = {"PATHWAYS_DATABASE_URL": wrapped_data, "PATHWAYS_KEY_ENCRYPTION_KEY": ""}

    rotated = run_cli("admin", "keys", "rotate", "--json", env=file_mode)
    status = run_cli("admin", "keys", "status", "--json", env=file_mode)

    assert rotated.returncode == 0, rotated.stderr
    rotation = json.loads(rotated.stdout)
    assert (rotation["rewrapped"], rotation["old_key_destroyed"]) == (1, True)
    assert rotation["retired_kek_ids"] == [TEST_KEYS.current().key_id]
    assert rotation["new_key"] is None  # never printed when the key file holds it
    assert TEST_KEY_ENCRYPTION_KEY not in key_file.read_text()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert status.returncode == 0, status.stderr
    state = json.loads(status.stdout)
    assert state["current_kek_id"] == rotation["new_kek_id"]
    assert [
        (k["kek_id"], k["held"], k["retired_at"] is None) for k in state["key_encryption_keys"]
    ] == [
        (TEST_KEYS.current().key_id, False, False),
        (rotation["new_kek_id"], True, True),
    ]
