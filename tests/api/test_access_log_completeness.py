"""Every attempt on a person's data through the API is in the access log once, as what it was.

An httpx response hook records every request the test makes. A request is an attempt on a
person's data when its route answers with pathways or with what happened in them (a pathway view,
timeline, history, state, export, and the lists that name pathways: caseload, at-risk, inbox, the
access log itself), or changes a pathway (every POST: commands and openings). Such a request is
logged whatever its outcome: allowed, or refused with 401 (no valid token: the principal is
unknown and recorded as such), 403 (the wrong role), 404 (a pathway the caller may not see) or 422
(a malformed id, purpose or body), with the HTTP status and the error code answered. Only
``/audit/verify``, ``/health``, ``/ready`` and ``/metrics``, which report on the stores without
naming anyone, are not attempts on a person's data.

The access log is then compared, entry by entry and in chain order, with the requests recorded:
principal, role, organisation, subject, purpose, action, route, pathway(s), outcome, status and
reason.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI

from api.access_log import (
    DEFAULT_PURPOSE,
    AccessEntry,
    Purpose,
    allowed_purposes,
    read_access_log,
    verify_access_log,
)
from api.auth.principals import Role
from api.auth.tokens import token_hash
from tests.api.conftest import (
    HOSPITAL,
    MUNICIPALITY,
    OTHER,
    Caller,
    Parties,
    TokenFactory,
    command,
    opening,
    project,
)
from workflows.inputs import PATHWAY_ID_PATTERN

P, P2 = "p-alog-0001", "p-alog-0002"
UNKNOWN = "p-alog-unknown"
OTHER_CW = "cw-0002"

# Routes whose GET reads a person's data, and the access-log action each records.
SINGLE_PATHWAY_READS = {
    "/caseworker/pathways/{pathway_id}": "read",
    "/caseworker/pathways/{pathway_id}/timeline": "read",
    "/agency/pathways/{pathway_id}": "read",
    "/audit/pathways/{pathway_id}/history": "read",
    "/audit/pathways/{pathway_id}/state": "read",
    "/audit/pathways/{pathway_id}/export": "export",
}
LIST_READS = {"/caseworker/caseload", "/caseworker/at-risk", "/agency/inbox", "/audit/access-log"}
NOT_PERSON_DATA = {"/audit/verify", "/health", "/ready", "/metrics"}
ENTRY_FIELDS = set(AccessEntry.model_fields)  # what was read, by whom, why; not chain columns


@dataclass
class ReadRecorder:
    """An httpx response hook keeping every request with its response, in the order made."""

    app: FastAPI
    gets: list[httpx.Response] = field(default_factory=list)

    async def __call__(self, response: httpx.Response) -> None:
        await response.aread()
        self.gets.append(response)

    def route_of(self, response: httpx.Response) -> tuple[str, dict[str, str]]:
        """The route template (from the app's OpenAPI paths) and its path parameters."""
        path, method = response.request.url.path, response.request.method.lower()
        for template, operations in self.app.openapi()["paths"].items():
            if method not in operations:
                continue
            pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
            match = re.fullmatch(pattern, path)
            if match is not None:
                return template, match.groupdict()
        raise AssertionError(f"no {method} route serves {path}")


def get_routes(app: FastAPI) -> set[str]:
    """Every route template the app answers GET on (its documentation pages aside)."""
    return {path for path, operations in app.openapi()["paths"].items() if "get" in operations}


async def _principal(pool: asyncpg.Pool, request: httpx.Request) -> dict[str, str]:
    token = request.headers["Authorization"].removeprefix("Bearer ")
    row = await pool.fetchrow(
        "SELECT token_id, role, organisation_id, subject_id FROM api.tokens WHERE token_hash = $1",
        token_hash(token),
    )
    assert row is not None, "a read with a token the test did not issue"
    return {
        "principal_id": row["token_id"],
        "role": row["role"],
        "organisation_id": row["organisation_id"],
        "subject_id": row["subject_id"],
    }


def _mentioned(response: httpx.Response) -> set[str]:
    """Every pathway id a list response names (an access-log page names them in two fields)."""
    ids: set[str] = set()
    for item in response.json()["items"]:
        if item.get("pathway_id"):
            ids.add(item["pathway_id"])
        ids.update(item.get("pathway_ids", []))
    return ids


def _reason(response: httpx.Response) -> str | None:
    return None if response.status_code < 400 else response.json()["error"]["code"]


def _purpose(response: httpx.Response, role: str) -> str | None:
    declared = response.request.headers.get("X-Purpose-Of-Use")
    if declared is None:
        return DEFAULT_PURPOSE[Role(role)].value
    # A purpose the role may not declare is logged as unknown, not as what was claimed.
    return declared if Purpose(declared) in allowed_purposes(Role(role)) else None


async def expected_entries(recorder: ReadRecorder, pool: asyncpg.Pool) -> list[dict[str, Any]]:
    """The access-log entry each recorded attempt must have written, in the order made."""
    expected: list[dict[str, Any]] = []
    for response in recorder.gets:
        route, params = recorder.route_of(response)
        method, status = response.request.method, response.status_code
        if route in NOT_PERSON_DATA:
            continue
        assert route in SINGLE_PATHWAY_READS or route in LIST_READS or method == "POST", route
        entry: dict[str, Any] = {
            "principal_id": None,
            "role": None,
            "organisation_id": None,
            "subject_id": None,
            "purpose": None,
            "resource": f"{method} {route}",
            "outcome": "allowed" if status < 400 else "denied",
            "status": status,
            "reason": _reason(response),
            "pathway_id": params.get("pathway_id"),
            "pathway_ids": [],
        }
        if status != 401:
            entry |= await _principal(pool, response.request)
            entry["purpose"] = _purpose(response, entry["role"])
        if entry["pathway_id"] and not re.fullmatch(PATHWAY_ID_PATTERN, entry["pathway_id"]):
            entry["pathway_id"] = None  # a malformed id is never stored
        if method == "POST":
            entry["action"] = "write"
            if route == "/caseworker/pathways" and status < 400:
                entry["pathway_id"] = json.loads(response.request.content)["pathway_id"]
        elif route in SINGLE_PATHWAY_READS:
            entry["action"] = SINGLE_PATHWAY_READS[route]
        else:
            about = response.request.url.params.get("pathway_id")
            entry |= {"action": "query", "pathway_id": about}
            if status == 200:
                entry["pathway_ids"] = sorted(_mentioned(response) - {about})
        expected.append(entry)
    return expected


async def logged_entries(pool: asyncpg.Pool, *, pathway_id: str | None = None) -> list[Any]:
    """The access log as stored, in chain order, without the chain's own columns."""
    async with pool.acquire() as conn:
        records = await read_access_log(conn, pathway_id=pathway_id, limit=100_000)
    return [r.model_dump(mode="json", include=ENTRY_FIELDS) for r in records]


def served_entries(response: httpx.Response) -> list[dict[str, Any]]:
    """An access-log page as the auditor endpoint served it, without the chain's own columns."""
    assert response.status_code == 200, response.text
    return [{k: v for k, v in i.items() if k in ENTRY_FIELDS} for i in response.json()["items"]]


async def read(caller: Caller, path: str, purpose: str | None = None, **params: Any) -> int:
    headers = caller.headers(**({"X-Purpose-Of-Use": purpose} if purpose else {}))
    response = await caller.http.get(path, headers=headers, params=params)
    return response.status_code


async def test_every_read_through_the_api_has_exactly_one_access_log_entry(
    app: FastAPI,
    http: httpx.AsyncClient,
    parties: Parties,
    make_token: TokenFactory,
    pool: asyncpg.Pool,
) -> None:
    # A GET route added without being classified here fails this test until it is.
    assert get_routes(app) == set(SINGLE_PATHWAY_READS) | LIST_READS | NOT_PERSON_DATA
    recorder = ReadRecorder(app)
    http.event_hooks = {"request": [], "response": [recorder]}
    coordinator, hospital, municipality = (
        parties.coordinator,
        parties.hospital,
        parties.municipality,
    )
    ips, stranger, auditor = parties.ips, parties.stranger, parties.auditor
    other_coordinator = Caller(http, await make_token("caseworker", OTHER, OTHER_CW))
    anonymous = Caller(http, "not-a-token")

    # A route: opened, admitted, discharged, consent, a handover to the municipality.
    opened = await coordinator.post("/caseworker/pathways", opening(P))
    assert opened.status_code == 201, opened.text
    # A second pathway that is only ever listed (in the caseload), never read on its own.
    second = await coordinator.post("/caseworker/pathways", opening(P2))
    assert second.status_code == 201, second.text
    for body in (
        command("RecordAdmission", hospital_org=HOSPITAL, ward_type="acute"),
        command("RecordDischarge"),
        command(
            "GrantConsent",
            recipient_org=MUNICIPALITY,
            purpose="handover",
            data_categories=["care_plan"],
            expires_at=(datetime.now(UTC) + timedelta(days=365)).isoformat(),
        ),
    ):
        done = await coordinator.post(f"/caseworker/pathways/{P}/commands", body)
        assert done.status_code == 200, done.text
    requested = await hospital.post(
        f"/agency/pathways/{P}/handovers",
        {"handover_id": "h-social", "responsibility": "social", "to_org": MUNICIPALITY},
    )
    assert requested.status_code == 201, requested.text

    # Agencies: inboxes (one naming the pathway, one empty), the pathway, refused reads.
    await project(pool)
    assert await read(municipality, "/agency/inbox") == 200
    assert await read(ips, "/agency/inbox", status="requested") == 200
    for step in ("acknowledge", "accept"):
        response = await municipality.post(f"/agency/pathways/{P}/handovers/h-social/{step}")
        assert response.status_code == 200, response.text
    assert await read(municipality, f"/agency/pathways/{P}", purpose="TREAT") == 200
    assert await read(stranger, f"/agency/pathways/{P}") == 404
    assert await read(stranger, f"/agency/pathways/{UNKNOWN}") == 404

    # Refused attempts: no valid token, the wrong role, a malformed id, purpose or body.
    assert await read(anonymous, f"/caseworker/pathways/{P}") == 401
    assert (
        await anonymous.post(f"/caseworker/pathways/{P}/commands", command("PausePathway"))
    ).status_code == 401
    assert (
        await auditor.post(f"/caseworker/pathways/{P}/commands", command("RecordDischarge"))
    ).status_code == 403
    assert (
        await coordinator.post(f"/caseworker/pathways/{P}/commands", {"type": "NoSuchCommand"})
    ).status_code == 422
    assert await read(anonymous, "/caseworker/caseload") == 401
    assert await read(municipality, "/caseworker/caseload") == 403
    assert await read(auditor, f"/agency/pathways/{P}") == 403
    assert await read(coordinator, f"/caseworker/pathways/{P}", purpose="HCOMPL") == 422
    assert await read(coordinator, "/caseworker/pathways/P_NOT_AN_ID") == 422
    assert await read(anonymous, "/health") == 200

    # The coordinator's views, and a case worker who does not coordinate the pathway.
    await project(pool)
    assert await read(coordinator, "/caseworker/caseload") == 200
    assert await read(coordinator, "/caseworker/at-risk", purpose="CAREMGT") == 200
    assert await read(coordinator, f"/caseworker/pathways/{P}") == 200
    assert await read(coordinator, f"/caseworker/pathways/{P}/timeline", purpose="ETREAT") == 200
    assert await read(other_coordinator, f"/caseworker/pathways/{P}") == 404
    assert await read(other_coordinator, "/caseworker/caseload") == 200
    denied = await other_coordinator.post(
        f"/caseworker/pathways/{P}/commands", command("RecordDischarge")
    )
    assert denied.status_code == 404

    # The auditor: history, a past state, the FHIR export, verification.
    assert await read(auditor, f"/audit/pathways/{P}/history") == 200
    at = datetime.now(UTC).isoformat()
    assert await read(auditor, f"/audit/pathways/{P}/state", purpose="HLEGAL", at=at) == 200
    assert await read(auditor, f"/audit/pathways/{P}/export") == 200
    assert await read(auditor, f"/audit/pathways/{UNKNOWN}/history") == 404
    assert await read(auditor, "/audit/verify") == 200

    # The table holds exactly the reads recorded so far, one entry each, in the order made.
    reads_so_far = await expected_entries(recorder, pool)
    assert len(reads_so_far) == 33
    assert await logged_entries(pool) == reads_so_far

    # The auditor's access-log endpoint serves the same entries, and logs its own reads: the
    # whole log names P2 only inside the caseload entries' lists, and its entry names it too.
    whole = await auditor.get("/audit/access-log", limit=1000)
    assert served_entries(whole) == reads_so_far
    before = await expected_entries(recorder, pool)
    about_p = await http.get(
        "/audit/access-log",
        params={"pathway_id": P},
        headers=auditor.headers(**{"X-Purpose-Of-Use": "HLEGAL"}),
    )
    assert served_entries(about_p) == [
        e for e in before if P in (e["pathway_id"], *e["pathway_ids"])
    ]

    every_read = await expected_entries(recorder, pool)
    assert len(every_read) == 35
    assert every_read[-2]["pathway_ids"] == sorted([P, P2, UNKNOWN])
    assert await logged_entries(pool) == every_read
    for pathway_id in (P, P2, UNKNOWN):
        assert await logged_entries(pool, pathway_id=pathway_id) == [
            e for e in every_read if pathway_id in (e["pathway_id"], *e["pathway_ids"])
        ]

    # Every read and refusal is there; nothing else is, and the chain verifies.
    exercised = {recorder.route_of(response)[0] for response in recorder.gets}
    assert set(SINGLE_PATHWAY_READS) | LIST_READS <= exercised
    outcomes = {(e["resource"], e["outcome"], e["status"]) for e in every_read}
    assert ("GET /agency/pathways/{pathway_id}", "denied", 404) in outcomes
    assert ("GET /caseworker/pathways/{pathway_id}", "denied", 404) in outcomes
    assert ("GET /caseworker/pathways/{pathway_id}", "denied", 401) in outcomes
    assert ("GET /audit/pathways/{pathway_id}/export", "allowed", 200) in outcomes
    commands = "POST /caseworker/pathways/{pathway_id}/commands"
    assert {(e["status"], e["reason"]) for e in every_read if e["resource"] == commands} == {
        (200, None),
        (401, "unauthorized"),
        (403, "forbidden"),
        (404, "not_found"),
        (422, "validation_error"),
    }
    unknown_caller = next(e for e in every_read if e["status"] == 401)
    assert unknown_caller["principal_id"] is None
    assert unknown_caller["pathway_id"] == P
    assert "ETREAT" in {e["purpose"] for e in every_read}
    async with pool.acquire() as conn:
        report = await verify_access_log(conn)
    assert report.ok, report
    assert report.entries_checked == len(every_read)
    verified = await auditor.get("/audit/verify")
    assert verified.status_code == 200
    assert verified.json()["access_log"]["ok"], verified.json()
    assert await logged_entries(pool) == await expected_entries(recorder, pool)  # verify: no entry
