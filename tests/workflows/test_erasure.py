"""Erasing a closed pathway leaves the person's words nowhere: not in PostgreSQL, not in Temporal.

The person's own words reach the workflow as update arguments, so before the erasure they are in
Temporal's history (encrypted with the payload key, ADR 0006) as well as in the event store
(encrypted with the person's key). After
``pathways admin erase`` the event store reads them back as the redaction marker and still
verifies, no table of the database holds them, and every run of the workflow is deleted from
Temporal. An open pathway is refused and left exactly as it was.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import pytest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from domain.commands import (
    ClosePathway,
    RecordDisclosurePreference,
    RecordLegalBasis,
    RecordWorkAspiration,
)
from domain.consent import DataCategory, DisclosureLevel, Purpose
from domain.state import CloseReason
from eventstore import ERASED, PostgresEventStore
from scripts.scenarios import COORDINATOR, Route
from tests.conftest import PAYLOAD_KEY_ENV
from tests.keys import TEST_KEY_ENCRYPTION_KEY, TEST_KEYS, keyed_store
from tests.workflows.temporal_payloads import decoded_bytes, update_arguments
from workers.erasure import (
    ErasureRefusedError,
    InvalidErasureError,
    PathwayNotFoundError,
    erase_pathway,
)
from workflows.inputs import stream_id

ROOT = Path(__file__).resolve().parents[2]


async def _closed_pathway(client: Client, task_queue: str, words: str) -> Route:
    """A pathway that recorded the person's words, then closed; its workflow has ended."""
    route = await _open_pathway(client, task_queue, words)
    await route.do(
        ClosePathway(
            actor=COORDINATOR, reason=CloseReason.PERSON_REQUEST, person_view=f"thanks, {words}"
        )
    )
    assert route.handle is not None
    await route.handle.result()
    return route


async def _open_pathway(client: Client, task_queue: str, words: str) -> Route:
    route = Route(client, task_queue, f"p-erase-{uuid.uuid4().hex[:10]}", "fast")
    await route.open()
    await route.do(RecordWorkAspiration(actor=COORDINATOR, text=f"work as a {words}"))
    return route


async def _tables_containing(pool: asyncpg.Pool, needle: str) -> list[str]:
    """Every table of the database (all schemas but the catalogs) with a row holding ``needle``."""
    async with pool.acquire() as connection:
        tables = await connection.fetch(
            "SELECT schemaname, tablename FROM pg_tables"
            " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        )
        assert len(tables) > 5  # the store's, the delivery tables and the API's
        found = []
        for table in tables:
            name = f'"{table["schemaname"]}"."{table["tablename"]}"'
            if await connection.fetchval(
                f"SELECT count(*) FROM {name} t WHERE t::text LIKE $1", f"%{needle}%"
            ):
                found.append(name)
    return found


async def test_a_closed_pathway_is_erased_from_the_store_and_from_temporal(
    temporal_client: Client, running_worker: PostgresEventStore, pool: asyncpg.Pool, task_queue: str
) -> None:
    words = f"gardener-{uuid.uuid4().hex}"
    route = await _closed_pathway(temporal_client, task_queue, words)
    assert route.handle is not None
    history = await route.handle.fetch_history()
    # The proto text form shows payload bytes as they are stored: ciphertext, not the words.
    assert words not in str(history.events)
    decoded = await decoded_bytes(temporal_client, update_arguments(history))
    assert words.encode() in decoded, "the update arguments carry the person's words"
    stream = stream_id(route.pathway_id)
    before = await running_worker.read_stream(stream)
    assert words in before[-2].payload["text"]

    report = await erase_pathway(
        running_worker, temporal_client, route.pathway_id, actor="dpo-1", wait_seconds=150
    )

    assert report.workflow_runs_deleted == 1
    assert report.temporal_history_gone is True
    assert report.events_in_stream == len(before) + 1
    with pytest.raises(RPCError) as gone:
        await route.handle.fetch_history()
    assert gone.value.status is RPCStatusCode.NOT_FOUND
    after = await running_worker.read_stream(stream)
    assert after[-3].payload["text"] == ERASED
    assert after[-2].payload["person_view"] == ERASED
    assert after[-1].type == "PersonalDataErased"
    assert after[-1].metadata.actor == "dpo-1"
    assert await _tables_containing(pool, words) == []
    assert (await keyed_store(pool).verify()).ok

    again = await erase_pathway(running_worker, temporal_client, route.pathway_id, actor="dpo-1")
    assert (again.workflow_runs_deleted, again.temporal_history_gone) == (0, None)
    assert again.events_in_stream == report.events_in_stream


async def test_every_free_text_field_is_encrypted_and_gone_from_every_table_after_erasure(
    temporal_client: Client, running_worker: PostgresEventStore, pool: asyncpg.Pool, task_queue: str
) -> None:
    # Each free-text field classified personal (domain.text), with the person's words in it: a
    # legal reference and a disclosure note as well as the aspiration and the closing view.
    words = f"locksmith-{uuid.uuid4().hex}"
    route = await _open_pathway(temporal_client, task_queue, words)
    await route.do(
        RecordLegalBasis(
            actor=COORDINATOR,
            recipient_org=route.orgs.municipality,
            purpose=Purpose.CARE_COORDINATION,
            data_categories=frozenset({DataCategory.CARE_PLAN}),
            legal_reference=f"court order about the {words}",
        )
    )
    await route.do(
        RecordDisclosurePreference(
            actor=COORDINATOR, level=DisclosureLevel.PARTIAL, note=f"tell them I am a {words}"
        )
    )
    await route.do(
        ClosePathway(
            actor=COORDINATOR, reason=CloseReason.PERSON_REQUEST, person_view=f"bye, {words}"
        )
    )
    assert route.handle is not None
    await route.handle.result()
    stream = stream_id(route.pathway_id)
    stored = {e.type: e.payload for e in await running_worker.read_stream(stream)}
    assert words in stored["LegalBasisRecorded"]["legal_reference"]
    # Encrypted under the person's key: no table shows the words even before the erasure.
    assert await _tables_containing(pool, words) == []

    await erase_pathway(
        running_worker, temporal_client, route.pathway_id, actor="dpo-1", wait_seconds=0
    )

    erased = {e.type: e.payload for e in await running_worker.read_stream(stream)}
    assert erased["LegalBasisRecorded"]["legal_reference"] == ERASED
    assert erased["DisclosurePreferenceRecorded"]["note"] == ERASED
    assert erased["WorkAspirationRecorded"]["text"] == ERASED
    assert erased["PathwayClosed"]["person_view"] == ERASED
    assert await _tables_containing(pool, words) == []
    assert (await keyed_store(pool).verify()).ok


async def test_an_open_pathway_or_a_bad_id_is_refused_and_nothing_changes(
    temporal_client: Client, running_worker: PostgresEventStore, task_queue: str
) -> None:
    words = f"baker-{uuid.uuid4().hex}"
    route = await _open_pathway(temporal_client, task_queue, words)
    stream = stream_id(route.pathway_id)
    before = await running_worker.read_stream(stream)

    with pytest.raises(ErasureRefusedError, match="still open: close it first"):
        await erase_pathway(running_worker, temporal_client, route.pathway_id, actor="dpo-1")
    with pytest.raises(PathwayNotFoundError, match="no pathway p-never-opened"):
        await erase_pathway(running_worker, temporal_client, "p-never-opened", actor="dpo-1")
    with pytest.raises(InvalidErasureError, match="not a pathway id"):
        await erase_pathway(running_worker, temporal_client, "Robert'; --", actor="dpo-1")
    with pytest.raises(InvalidErasureError, match="not a pseudonymous actor id"):
        await erase_pathway(running_worker, temporal_client, route.pathway_id, actor="J. Doe")

    assert await running_worker.read_stream(stream) == before
    assert words in before[-1].payload["text"]
    assert route.handle is not None
    description = await route.handle.describe()
    assert description.status is WorkflowExecutionStatus.RUNNING


def _erase_cli(
    pathway_id: str,
    *options: str,
    where: dict[str, str],
    env_overrides: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAYS_")}
    env |= where
    env |= PAYLOAD_KEY_ENV
    env |= env_overrides or {}
    command = ["admin", "erase", pathway_id, "--actor", "dpo-1", "--wait", "0", "--json"]
    command += options
    return subprocess.run(
        [sys.executable, "-m", "scripts.cli", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_the_command_line_erases_once_and_names_what_it_refuses(
    temporal_client: Client,
    running_worker: PostgresEventStore,
    task_queue: str,
    database_env: dict[str, str],
    temporal_address: str,
) -> None:
    route = await _closed_pathway(temporal_client, task_queue, f"welder-{uuid.uuid4().hex}")
    where = database_env | {"PATHWAYS_TEMPORAL_ADDRESS": temporal_address}

    erased = await asyncio.to_thread(_erase_cli, route.pathway_id, where=where)
    assert erased.returncode == 0, erased.stderr
    report = json.loads(erased.stdout)
    assert (report["workflow_runs_deleted"], report["temporal_history_gone"]) == (1, None)
    # The key-encryption key that wrapped the person's key is still held: pending, and why.
    assert report["erasure"] == "pending"
    assert TEST_KEYS.current().key_id in report["completion"]["reason"]
    assert "pathways admin keys rotate" in report["completion"]["reason"]

    unknown = await asyncio.to_thread(_erase_cli, "p-never-opened", where=where)
    assert (unknown.returncode, unknown.stdout) == (1, "")
    assert unknown.stderr.strip() == "pathways: no pathway p-never-opened"

    malformed = await asyncio.to_thread(_erase_cli, "NOT AN ID", where=where)
    assert (malformed.returncode, malformed.stdout) == (2, "")
    assert "not a pathway id" in malformed.stderr


@pytest.mark.usefixtures("running_worker")
async def test_erase_complete_rotates_the_key_file_and_reports_the_erasure_complete(
    temporal_client: Client,
    task_queue: str,
    database_env: dict[str, str],
    temporal_address: str,
    tmp_path: Path,
) -> None:
    route = await _closed_pathway(temporal_client, task_queue, f"potter-{uuid.uuid4().hex}")
    # The embedded default: the key-encryption key is the data directory's key file.
    (tmp_path / "key-encryption.key").write_text(TEST_KEY_ENCRYPTION_KEY + "\n")
    (tmp_path / "key-encryption.key").chmod(0o600)
    file_mode = {"PATHWAYS_KEY_ENCRYPTION_KEY": "", "PATHWAYS_DATA_DIR": str(tmp_path)}

    completed = await asyncio.to_thread(
        _erase_cli,
        route.pathway_id,
        "--complete",
        where=database_env | {"PATHWAYS_TEMPORAL_ADDRESS": temporal_address},
        env_overrides=file_mode,
    )

    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    assert report["erasure"] == "complete", report["completion"]
    assert report["rotation"]["retired_kek_ids"] == [TEST_KEYS.current().key_id]
    assert TEST_KEY_ENCRYPTION_KEY not in (tmp_path / "key-encryption.key").read_text()
