"""``pathways admin token``, ``audit replay | export | access-log`` and ``projections rebuild``
as scripts use them: subprocesses on the test's database."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import httpx
from fhir.resources.R4B.bundle import Bundle

from tests.api.conftest import CW, MUNICIPALITY, Caller, opening
from tests.conftest import PAYLOAD_KEY_ENV

ROOT = Path(__file__).resolve().parents[2]


async def pathways(
    database_url: str, tmp_path: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAYS_")}
    env.update({"PATHWAYS_DATABASE_URL": database_url, "PATHWAYS_DATA_DIR": str(tmp_path)})
    env.update(PAYLOAD_KEY_ENV)
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "scripts.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


async def test_tokens_replay_export_and_rebuild_from_the_command_line(
    http: httpx.AsyncClient, database_url: str, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    created = await pathways(
        database_url,
        tmp_path,
        "admin",
        "token",
        "create",
        "--role",
        "caseworker",
        "--organisation",
        MUNICIPALITY,
        "--subject",
        CW,
        "--expires-in",
        "7",
        "--json",
    )
    assert created.returncode == 0, created.stderr
    issued = json.loads(created.stdout)
    assert issued["role"] == "caseworker"
    assert issued["subject_id"] == CW
    coordinator = Caller(http, issued["token"])
    opened = await coordinator.post("/caseworker/pathways", opening("p-cli-0001"))
    assert opened.status_code == 201, opened.text

    bad = await pathways(
        database_url,
        tmp_path,
        "admin",
        "token",
        "create",
        "--role",
        "caseworker",
        "--organisation",
        MUNICIPALITY,
    )
    assert bad.returncode == 2
    assert "--subject is required" in bad.stderr
    endless = await pathways(
        database_url,
        tmp_path,
        "admin",
        "token",
        "create",
        "--role",
        "auditor",
        "--organisation",
        "org-inspectorate",
        "--expires-in",
        "1e12",
    )
    assert endless.returncode == 2
    assert "at most 3650 days" in endless.stderr

    listed = await pathways(database_url, tmp_path, "admin", "token", "list", "--json")
    assert [t["token_id"] for t in json.loads(listed.stdout)] == [issued["token_id"]]
    assert issued["token"] not in listed.stdout

    replay = await pathways(database_url, tmp_path, "audit", "replay", "p-cli-0001", "--json")
    assert replay.returncode == 0, replay.stderr
    replayed = json.loads(replay.stdout)
    assert replayed["state"]["status"] == "active"
    assert replayed["events"][0]["type"] == "PathwayOpened"
    early = await pathways(
        database_url, tmp_path, "audit", "replay", "p-cli-0001", "--at", "2000-01-01T00:00:00+00:00"
    )
    assert early.returncode == 0, early.stderr
    assert "0 events" in early.stdout
    assert (
        await pathways(database_url, tmp_path, "audit", "replay", "p-cli-0001", "--at", "yesterday")
    ).returncode == 2
    far = await pathways(
        database_url, tmp_path, "audit", "replay", "p-cli-0001", "--at", "9999-12-31T23:59:59-12:00"
    )
    assert far.returncode == 2
    assert far.stderr.strip().splitlines() == [
        "pathways: --at: must be between 1900-01-01 and 2200-01-01 (UTC)"
    ]

    export = await pathways(database_url, tmp_path, "audit", "export", "p-cli-0001")
    assert export.returncode == 0, export.stderr
    bundle = Bundle.model_validate(json.loads(export.stdout))
    assert any(
        e.resource is not None and e.resource.get_resource_type() == "Provenance"
        for e in bundle.entry or []
    )
    missing = await pathways(database_url, tmp_path, "audit", "export", "p-nobody-01")
    assert missing.returncode == 1

    log = await pathways(
        database_url, tmp_path, "audit", "access-log", "--pathway", "p-cli-0001", "--json"
    )
    assert log.returncode == 0, log.stderr
    assert {e["resource"] for e in json.loads(log.stdout)} >= {
        "CLI audit replay",
        "CLI audit export",
    }
    verified = await pathways(database_url, tmp_path, "audit", "access-log", "--verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr

    rebuilt = await pathways(database_url, tmp_path, "projections", "rebuild", "--json")
    assert rebuilt.returncode == 0, rebuilt.stderr
    caseload = await pool.fetchval("SELECT 1")  # the rebuild left the database usable
    assert caseload == 1
    revoked = await pathways(database_url, tmp_path, "admin", "token", "revoke", issued["token_id"])
    assert revoked.returncode == 0, revoked.stderr
    assert (await coordinator.get("/caseworker/caseload")).status_code == 401
