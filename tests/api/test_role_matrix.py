"""Every endpoint called with every role: allowed roles get through, the others get 401/403."""

from __future__ import annotations

import asyncpg
import httpx
from fastapi import FastAPI

from tests.api.conftest import CW, MUNICIPALITY, Parties, opening, project

P = "p-matrix-01"
OPEN = opening(P)
H = f"/agency/pathways/{P}/handovers/h-1"
ANYONE = {"agency", "caseworker", "auditor", "admin", None}

# (method, path template, concrete path, body, roles allowed)
Row = tuple[str, str, str, object, set[str | None]]
AGENCY_ONLY: set[str | None] = {"agency"}
STEPS: list[tuple[str, object]] = [
    ("acknowledge", None),
    ("accept", None),
    ("decline", {"reason_code": "no_capacity"}),
    ("first-contact", {}),
    ("outreach-attempts", {"channel": "phone"}),
]
MATRIX: list[Row] = [
    ("GET", "/health", "/health", None, ANYONE),
    ("GET", "/ready", "/ready", None, ANYONE),
    ("GET", "/metrics", "/metrics", None, ANYONE),
    ("GET", "/agency/inbox", "/agency/inbox", None, {"agency"}),
    ("GET", "/agency/pathways/{pathway_id}", f"/agency/pathways/{P}", None, {"agency"}),
    (
        "POST",
        "/agency/pathways/{pathway_id}/handovers",
        f"/agency/pathways/{P}/handovers",
        {"handover_id": "h-1", "responsibility": "social", "to_org": MUNICIPALITY},
        {"agency"},
    ),
    *[
        (
            "POST",
            "/agency/pathways/{pathway_id}/handovers/{handover_id}/" + s,
            f"{H}/{s}",
            b,
            AGENCY_ONLY,
        )
        for s, b in STEPS
    ],
    (
        "POST",
        "/agency/pathways/{pathway_id}/contacts",
        f"/agency/pathways/{P}/contacts",
        {"contact": {"kind": "discharge_follow_up"}},
        {"agency"},
    ),
    ("GET", "/caseworker/caseload", "/caseworker/caseload", None, {"caseworker"}),
    ("GET", "/caseworker/at-risk", "/caseworker/at-risk", None, {"caseworker"}),
    (
        "GET",
        "/caseworker/pathways/{pathway_id}",
        f"/caseworker/pathways/{P}",
        None,
        {"caseworker"},
    ),
    (
        "GET",
        "/caseworker/pathways/{pathway_id}/timeline",
        f"/caseworker/pathways/{P}/timeline",
        None,
        {"caseworker"},
    ),
    ("POST", "/caseworker/pathways", "/caseworker/pathways", OPEN, {"caseworker"}),
    (
        "POST",
        "/caseworker/pathways/{pathway_id}/commands",
        f"/caseworker/pathways/{P}/commands",
        {"type": "RecordWorkAspiration", "actor": CW, "text": "work in a garden"},
        {"caseworker"},
    ),
    (
        "GET",
        "/audit/pathways/{pathway_id}/history",
        f"/audit/pathways/{P}/history",
        None,
        {"auditor"},
    ),
    ("GET", "/audit/pathways/{pathway_id}/state", f"/audit/pathways/{P}/state", None, {"auditor"}),
    (
        "GET",
        "/audit/pathways/{pathway_id}/export",
        f"/audit/pathways/{P}/export",
        None,
        {"auditor"},
    ),
    ("GET", "/audit/verify", "/audit/verify", None, {"auditor"}),
    ("GET", "/audit/access-log", "/audit/access-log", None, {"auditor"}),
]


def test_the_matrix_covers_every_endpoint_of_the_openapi_document(app: FastAPI) -> None:
    documented = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    assert documented == {(m, t) for m, t, _, _, _ in MATRIX}


async def test_every_role_on_every_endpoint_is_allowed_or_denied_as_the_matrix_says(
    http: httpx.AsyncClient, parties: Parties, pool: asyncpg.Pool
) -> None:
    callers = {
        "agency": parties.hospital,
        "caseworker": parties.coordinator,
        "auditor": parties.auditor,
        "admin": parties.admin,
    }
    opened = await callers["caseworker"].post("/caseworker/pathways", OPEN)
    assert opened.status_code == 201, opened.text
    await project(pool)
    outcomes: list[tuple[str, str, str | None, int]] = []
    for method, template, path, body, allowed in MATRIX:
        for role in [*callers, None]:
            if role is None:
                response = await http.request(
                    method, path, json=body, headers={"Idempotency-Key": "anonymous-1"}
                )
            elif method == "GET":
                response = await callers[role].get(path)
            else:
                response = await callers[role].post(path, body)
            outcomes.append((method, template, role, response.status_code))
            assert response.status_code < 500, (method, path, role, response.text)
            if role in allowed:
                assert response.status_code not in {401, 403}, (method, path, role, response.text)
            elif role is None:
                assert response.status_code == 401, (method, path, response.text)
                assert response.json()["error"]["code"] == "unauthorized"
            else:
                assert response.status_code == 403, (method, path, role, response.text)
                assert response.json()["error"]["code"] == "forbidden"
    assert len(outcomes) == len(MATRIX) * 5


async def test_nobody_can_change_history(http: httpx.AsyncClient, parties: Parties) -> None:
    for method in ("PUT", "PATCH", "DELETE"):
        response = await http.request(
            method, f"/audit/pathways/{P}/history", headers=parties.auditor.headers()
        )
        assert response.status_code == 405
        assert response.json()["error"]["code"] == "method_not_allowed"
