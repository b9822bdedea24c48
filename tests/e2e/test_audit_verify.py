"""``pathways audit verify`` as an auditor runs it: exit 0 when intact, 1 naming the break."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import asyncpg

from eventstore import NO_STREAM, EventMetadata, NewEvent, create_pool, migrate
from tests.e2e.conftest import RunCli
from tests.keys import keyed_store


async def test_verify_passes_on_an_intact_store_and_names_a_tampered_event(
    run_cli: RunCli, database_url: str
) -> None:
    pool = await create_pool(database_url)
    try:
        await migrate(pool)
        store = keyed_store(pool)
        events = [
            NewEvent(
                event_id=uuid.uuid4(),
                type="HandoverRequested",
                payload={"handover_id": f"h-{n}", "to_org": "org-b"},
                metadata=EventMetadata(actor="cw-1"),
            )
            for n in range(3)
        ]
        await store.append("pathway-audited", events, expected_version=NO_STREAM)
    finally:
        await pool.close()
    env = {"PATHWAYS_DATABASE_URL": database_url}

    sealed = run_cli("audit", "seal", env=env)
    assert sealed.returncode == 0, sealed.stderr
    intact = run_cli("audit", "verify", "--json", env=env)
    assert intact.returncode == 0, intact.stderr
    report = json.loads(intact.stdout)
    assert report["ok"] is True
    assert report["events_checked"] == 3

    # Tamper as a superuser would: switch off the append-only triggers and rewrite a payload.
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("SET session_replication_role = replica")
        await connection.execute(
            'UPDATE eventstore.events SET payload = \'{"handover_id": "h-1", "to_org": "x"}\' '
            "WHERE stream_id = 'pathway-audited' AND version = 2"
        )
    finally:
        await connection.close()
    broken = run_cli("audit", "verify", env=env)
    assert broken.returncode == 1
    assert "BROKEN: stream pathway-audited version 2" in broken.stderr


async def test_an_anchor_recorded_before_catches_history_removed_with_its_seals(
    run_cli: RunCli, database_url: str, tmp_path: Path
) -> None:
    pool = await create_pool(database_url)
    try:
        await migrate(pool)
        store = keyed_store(pool)
        for stream in ("pathway-early", "pathway-late"):
            await store.append(stream, [_event(n) for n in range(2)], expected_version=NO_STREAM)
            assert run_cli("audit", "seal", env=_env(database_url)).returncode == 0
    finally:
        await pool.close()
    env = _env(database_url)
    # An auditor's read lands in the access log, which the next seal covers too.
    assert run_cli("audit", "access-log", env=env).returncode == 0
    assert run_cli("audit", "seal", env=env).returncode == 0

    anchored = run_cli("audit", "anchor", env=env)
    assert anchored.returncode == 0, anchored.stderr
    lines = anchored.stdout.splitlines()
    # The event store's newest seal, and the access log's (the CLI's own reads are logged).
    assert [line.split()[1] for line in lines] == ["eventstore", "access-log"]
    assert lines[0].startswith("pathways-anchor eventstore seal=2 covered=4 digest=")
    anchor_file = tmp_path / "anchors.txt"
    anchor_file.write_text(anchored.stdout)
    as_json = run_cli("audit", "anchor", "--json", env=env)
    assert json.loads(as_json.stdout)[0]["line"] == lines[0]

    intact = run_cli("audit", "verify", "--anchor", str(anchor_file), env=env)
    assert intact.returncode == 0, intact.stderr
    assert "1 anchor(s) match; access log: 1 entries, 1 seals" in intact.stdout

    # The attacker removes the newest seal and everything it covered.
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("SET session_replication_role = replica")
        await connection.execute("DELETE FROM eventstore.seals WHERE seal_number = 2")
        await connection.execute("DELETE FROM eventstore.events WHERE stream_id = 'pathway-late'")
        await connection.execute("DELETE FROM eventstore.streams WHERE stream_id = 'pathway-late'")
    finally:
        await connection.close()

    assert run_cli("audit", "verify", env=env).returncode == 0  # consistent without the anchor
    broken = run_cli("audit", "verify", "--expect", lines[0], env=env)
    assert broken.returncode == 1
    # (stderr may also carry the warning that a one-DSN setup runs with SET ROLE)
    assert any(
        line.startswith("BROKEN: anchor eventstore seal 2: not in the store (newest seal is 1)")
        for line in broken.stderr.splitlines()
    ), broken.stderr
    assert (
        run_cli("audit", "verify", "--expect", "pathways-anchor nonsense", env=env).returncode == 2
    )


def _env(database_url: str) -> dict[str, str]:
    return {"PATHWAYS_DATABASE_URL": database_url}


def _event(n: int) -> NewEvent:
    return NewEvent(
        event_id=uuid.uuid4(),
        type="HandoverRequested",
        payload={"handover_id": f"h-{n}", "to_org": "org-b"},
        metadata=EventMetadata(actor="cw-1"),
    )
