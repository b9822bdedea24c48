"""Access follows the organisation, and only registered organisations can be named.

A case worker is a worker id *within* an organisation: the same id in another organisation is
another person, who gets the same 404 as for an unknown pathway and finds nothing in a list.
Tokens, pathway openings and commands may name only registered, active organisations.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest

from api.auth.principals import Role
from api.auth.tokens import TokenError, issue_token
from api.organisations import add_organisation, list_organisations, remove_organisation
from tests.api.conftest import (
    CW,
    OTHER,
    Caller,
    Parties,
    TokenFactory,
    command,
    discharged_with_consent,
    opening,
    project,
)
from tests.api.test_cli import pathways

NOWHERE = "org-nowhere-1"


@pytest.fixture
def pathway_id() -> str:
    """A pathway id of this test's own (Temporal's dev server outlives each test's database)."""
    return f"p-org-{uuid.uuid4().hex[:12]}"


# A command of each kind a coordinator sends, as the other organisation's case worker tries it.
COMMANDS = [
    *discharged_with_consent(),
    command("ClosePathway", reason="moved_away"),
]


async def test_the_same_worker_id_in_another_organisation_sees_and_changes_nothing(
    http: httpx.AsyncClient,
    parties: Parties,
    make_token: TokenFactory,
    pool: asyncpg.Pool,
    pathway_id: str,
) -> None:
    p = pathway_id
    coordinator = parties.coordinator
    namesake = Caller(http, await make_token("caseworker", OTHER, CW))  # cw-0001 of another org
    assert (await coordinator.post("/caseworker/pathways", opening(p))).status_code == 201
    await project(pool)
    before = (await coordinator.get(f"/caseworker/pathways/{p}/timeline")).json()

    for path in (f"/caseworker/pathways/{p}", f"/caseworker/pathways/{p}/timeline"):
        assert (await coordinator.get(path)).status_code == 200
        denied, unknown = await namesake.get(path), await namesake.get(path + "-x")
        assert denied.status_code == unknown.status_code == 404
        assert denied.json() == {
            "error": {**unknown.json()["error"], "message": denied.json()["error"]["message"]}
        }
    for body in COMMANDS:
        refused = await namesake.post(f"/caseworker/pathways/{p}/commands", body)
        assert refused.status_code == 404, (body["type"], refused.text)
    for path in ("/caseworker/caseload", "/caseworker/at-risk"):
        seen = await namesake.get(path)
        assert seen.status_code == 200
        assert seen.json()["items"] == []
    caseload = await coordinator.get("/caseworker/caseload")
    assert [r["pathway_id"] for r in caseload.json()["items"]] == [p]
    # Nothing the namesake sent reached the pathway.
    assert (await coordinator.get(f"/caseworker/pathways/{p}/timeline")).json() == before


async def test_a_case_worker_opens_pathways_only_for_their_own_organisation(
    parties: Parties, pool: asyncpg.Pool, pathway_id: str
) -> None:
    p = pathway_id
    coordinator = parties.coordinator
    assert (await coordinator.post("/caseworker/pathways", opening(p))).status_code == 201
    # Another organisation's opening is refused on the request alone: even for an id that
    # exists, the answer is the same 422, never the 409 that would say it exists.
    for pid in (p, p + "-2"):
        body = {**opening(pid), "coordinator_org": OTHER}
        refused = await coordinator.post("/caseworker/pathways", body)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["field"] == "coordinator_org"
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM eventstore.streams WHERE stream_id = $1", f"pathway-{p}-2"
        )
        == 0
    )


async def test_unregistered_or_removed_organisations_are_refused_with_422_naming_the_field(
    http: httpx.AsyncClient,
    parties: Parties,
    make_token: TokenFactory,
    pool: asyncpg.Pool,
    pathway_id: str,
) -> None:
    p = pathway_id
    coordinator, hospital = parties.coordinator, parties.hospital
    refused = await coordinator.post(
        "/caseworker/pathways", {**opening(p), "tracks": {"clinical": NOWHERE}}
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"] == {
        "code": "unregistered_organisation",
        "message": f"tracks.clinical: {NOWHERE} is not a registered organisation",
        "field": "tracks.clinical",
    }
    assert (await coordinator.post("/caseworker/pathways", opening(p))).status_code == 201
    for body, field in (
        (command("RecordAdmission", hospital_org=NOWHERE, ward_type="acute"), "hospital_org"),
        (
            command(
                "GrantConsent",
                recipient_org=NOWHERE,
                purpose="handover",
                data_categories=["care_plan"],
                expires_at=(datetime.now(UTC) + timedelta(days=30)).isoformat(),
            ),
            "recipient_org",
        ),
    ):
        answer = await coordinator.post(f"/caseworker/pathways/{p}/commands", body)
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["field"] == field
    handover = await hospital.post(
        f"/agency/pathways/{p}/handovers",
        {"handover_id": "h-1", "responsibility": "social", "to_org": NOWHERE},
    )
    assert handover.status_code == 422, handover.text
    assert handover.json()["error"]["field"] == "to_org"

    # No token for an unregistered organisation.
    async with pool.acquire() as conn:
        with pytest.raises(TokenError, match="not a registered organisation"):
            await issue_token(
                conn,
                role=Role.AGENCY,
                organisation_id=NOWHERE,
                subject_id=None,
                expires_in=timedelta(days=1),
            )
        # Removing an organisation keeps it (history names it) but ends its part.
        assert await remove_organisation(conn, OTHER, now=datetime.now(UTC))
        assert OTHER not in {o.org_id for o in await list_organisations(conn)}
        assert OTHER in {o.org_id for o in await list_organisations(conn, include_removed=True)}
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await conn.execute("DELETE FROM api.organisations WHERE org_id = $1", OTHER)
    assert (await parties.stranger.get("/agency/inbox")).status_code == 401  # OTHER's token
    answer = await coordinator.post(
        f"/caseworker/pathways/{p}/commands",
        command("RecordAdmission", hospital_org=OTHER, ward_type="acute"),
    )
    assert answer.status_code == 422
    with pytest.raises(TokenError):
        await make_token("agency", OTHER)


async def test_the_registry_is_seeded_from_the_templates_and_adding_is_idempotent(
    pool: asyncpg.Pool,
) -> None:
    async with pool.acquire() as conn:
        orgs = {o.org_id: o for o in await list_organisations(conn)}
        assert orgs["org-nl-hospital-1"].roles == ["ggz_hospital"]
        assert orgs["org-dk-municipality-2"].template_id == "dk"
        assert orgs["org-uk-ips-1"].roles == ["ips_service"]
        first, added = await add_organisation(
            conn, org_id="org-nl-wijkteam-9", display_name="Wijkteam 9", template_id="nl",
            roles=["gemeente_wijkteam"],
        )  # fmt: skip
        again, added_again = await add_organisation(
            conn, org_id="org-nl-wijkteam-9", display_name="another name"
        )
    assert (added, added_again) == (True, False)
    assert again == first


async def test_the_command_line_manages_the_registry_and_refuses_tokens_for_unknown_ones(
    database_url: str, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    refused = await pathways(
        database_url, tmp_path, "admin", "token", "create", "--role", "agency",
        "--organisation", NOWHERE,
    )  # fmt: skip
    assert refused.returncode == 2
    assert refused.stdout == ""
    # One line for the user (a one-DSN setup also logs its least-privilege warning as JSON).
    said = [line for line in refused.stderr.splitlines() if not line.startswith("{")]
    assert len(said) == 1, refused.stderr
    assert f"--organisation {NOWHERE} is not a registered organisation" in refused.stderr

    bad_role = await pathways(
        database_url, tmp_path, "admin", "org", "add", NOWHERE, "--name", "Nowhere",
        "--template", "nl", "--role", "no_such_role",
    )  # fmt: skip
    assert bad_role.returncode == 2
    assert "--role: no_such_role is not an agency role of template nl" in bad_role.stderr
    for _ in range(2):  # idempotent
        added = await pathways(
            database_url, tmp_path, "admin", "org", "add", NOWHERE, "--name", "Nowhere",
            "--template", "nl", "--role", "gemeente_wijkteam", "--json",
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["added"] is False
    created = await pathways(
        database_url, tmp_path, "admin", "token", "create", "--role", "agency",
        "--organisation", NOWHERE, "--json",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr

    removed = await pathways(database_url, tmp_path, "admin", "org", "remove", NOWHERE)
    assert removed.returncode == 0, removed.stderr
    listed = await pathways(database_url, tmp_path, "admin", "org", "list", "--all", "--json")
    (entry,) = [o for o in json.loads(listed.stdout) if o["org_id"] == NOWHERE]
    assert entry["active"] is False
    # The token issued before the removal is still listed (history), but no longer works.
    assert (
        await pool.fetchval("SELECT count(*) FROM api.tokens WHERE organisation_id = $1", NOWHERE)
        == 1
    )
    unknown = await pathways(database_url, tmp_path, "admin", "org", "remove", "org-never")
    assert unknown.returncode == 1
