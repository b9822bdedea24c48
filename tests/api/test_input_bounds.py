"""Nothing the API accepts is a value the product cannot hold: size, characters and dates.

Through the API in-process, on the real PostgreSQL and a real Temporal dev server: an oversized
body is refused before it is read whole, a control character in any text is refused naming the
field, a moment PostgreSQL cannot hold is refused wherever it can be given (body, ``?at=``,
cursors), and none of these refusals appends an event or stores an idempotency answer.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest

from tests.api.conftest import (
    HOSPITAL,
    MUNICIPALITY,
    Caller,
    Parties,
    command,
    opening,
    project,
)

FAR_FUTURE = "9999-12-31T23:59:59-12:00"
TWENTY_MB = 20 * 1024 * 1024


async def _events(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM eventstore.events"))


async def _answers(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM api.idempotency_keys"))


@dataclass(frozen=True)
class Opened:
    """A pathway coordinated by CW, with a handover from the hospital waiting for a decision."""

    parties: Parties
    pathway: str

    @property
    def commands(self) -> str:
        return f"/caseworker/pathways/{self.pathway}/commands"


@pytest.fixture
async def opened(parties: Parties) -> Opened:
    """A new pathway (a fresh id: the Temporal dev server is shared by the session)."""
    pathway = f"p-bounds-{uuid.uuid4().hex[:12]}"
    opening_answer = await parties.coordinator.post("/caseworker/pathways", opening(pathway))
    assert opening_answer.status_code == 201, opening_answer.text
    requested = await parties.hospital.post(
        f"/agency/pathways/{pathway}/handovers",
        {"handover_id": "h-bounds-1", "responsibility": "social", "to_org": MUNICIPALITY},
    )
    assert requested.status_code == 201, requested.text
    return Opened(parties, pathway)


def _headers(caller: Caller, key: str) -> dict[str, str]:
    return caller.headers(**{"Idempotency-Key": key, "Content-Type": "application/json"})


async def test_a_20_mb_body_is_refused_with_413_before_it_is_read_and_nothing_changes(
    opened: Opened, pool: asyncpg.Pool
) -> None:
    before = (await _events(pool), await _answers(pool))
    padding = b'{"type": "RecordWorkAspiration", "actor": "cw-0001", "text": "' + b"x" * TWENTY_MB
    started = time.perf_counter()
    declared = await opened.parties.coordinator.http.post(
        opened.commands, content=padding, headers=_headers(opened.parties.coordinator, "big-0001")
    )
    declared_seconds = time.perf_counter() - started

    async def chunks() -> AsyncIterator[bytes]:
        yield padding[:64]
        for offset in range(64, len(padding), 1024 * 1024):
            yield padding[offset : offset + 1024 * 1024]

    started = time.perf_counter()
    streamed = await opened.parties.coordinator.http.post(
        opened.commands, content=chunks(), headers=_headers(opened.parties.coordinator, "big-0002")
    )
    streamed_seconds = time.perf_counter() - started

    for answer in (declared, streamed):
        assert answer.status_code == 413, answer.text
        assert answer.json()["error"]["code"] == "body_too_large"
        assert "larger than the limit of 65536 bytes" in answer.json()["error"]["message"]
    # Reading and parsing 20 MB took seconds; refusing it takes the time of one small request.
    assert declared_seconds < 1.0, declared_seconds
    assert streamed_seconds < 2.0, streamed_seconds
    assert (await _events(pool), await _answers(pool)) == before


async def test_a_body_of_unknown_keys_under_the_limit_is_refused_quickly(
    opened: Opened, pool: asyncpg.Pool
) -> None:
    body: dict[str, Any] = command("RecordWorkAspiration", text="to work")
    body.update({f"k{i:05d}": 1 for i in range(5000)})  # about 60 KiB, just under the limit
    started = time.perf_counter()
    refused = await opened.parties.coordinator.post(opened.commands, body)
    assert refused.status_code == 422
    assert time.perf_counter() - started < 1.0


_NUL = "before\x00after"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (command("RecordWorkAspiration", text=_NUL), "text"),
        (
            command(
                "RecordLegalBasis",
                recipient_org=HOSPITAL,
                purpose="care_coordination",
                data_categories=["care_plan"],
                legal_reference=_NUL,
            ),
            "legal_reference",
        ),
        (command("ClosePathway", reason="goals_reached", person_view=_NUL), "person_view"),
        (command("EndTrack", track="clinical", reason_code=_NUL), "reason_code"),
        (command("RecordAdmission", hospital_org=HOSPITAL, ward_type=_NUL), "ward_type"),
        (
            command(
                "RecordHandoverMeeting",
                handover_id="h-bounds-1",
                participant_roles=["ward_nurse", _NUL],
                person_present=True,
            ),
            "participant_roles",
        ),
        (command("CompleteVocationalProfile", preferences=_NUL), "preferences"),
    ],
)
async def test_a_nul_in_a_caseworkers_command_is_422_naming_the_field_and_appends_nothing(
    opened: Opened, pool: asyncpg.Pool, body: dict[str, Any], field: str
) -> None:
    before = (await _events(pool), await _answers(pool))
    refused = await opened.parties.coordinator.post(opened.commands, body)
    assert refused.status_code == 422, refused.text
    assert field in (refused.json()["error"]["field"] or "")
    assert (await _events(pool), await _answers(pool)) == before


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("decline", {"reason_code": "out_of_area", "reason_text": _NUL}, "reason_text"),
        ("outreach-attempts", {"channel": _NUL}, "channel"),
    ],
)
async def test_a_nul_in_an_agencys_body_is_422_naming_the_field_and_appends_nothing(
    opened: Opened, pool: asyncpg.Pool, path: str, body: dict[str, Any], field: str
) -> None:
    before = await _events(pool)
    refused = await opened.parties.municipality.post(
        f"/agency/pathways/{opened.pathway}/handovers/h-bounds-1/{path}", body
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["field"] == field
    assert await _events(pool) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            command(
                "GrantConsent",
                recipient_org=HOSPITAL,
                purpose="care_coordination",
                data_categories=["care_plan"],
                expires_at=FAR_FUTURE,
            ),
            "expires_at",
        ),
        (
            command(
                "RecordBenefitDecision",
                kind="income_support",
                authority_org="org-nl-uwv-1",
                valid_until=FAR_FUTURE,
            ),
            "valid_until",
        ),
        (
            command(
                "RecordFundingPeriod",
                funder_org="org-nl-uwv-1",
                track="employment",
                ends_at=FAR_FUTURE,
            ),
            "ends_at",
        ),
        (
            command(
                "GrantConsent",
                recipient_org=HOSPITAL,
                purpose="care_coordination",
                data_categories=["care_plan"],
                expires_at="1850-01-01T00:00:00+00:00",
            ),
            "expires_at",
        ),
    ],
)
async def test_a_moment_outside_1900_to_2200_in_a_command_is_422_and_appends_nothing(
    opened: Opened, pool: asyncpg.Pool, body: dict[str, Any], field: str
) -> None:
    before = (await _events(pool), await _answers(pool))
    refused = await opened.parties.coordinator.post(opened.commands, body)
    assert refused.status_code == 422, refused.text
    assert field in (refused.json()["error"]["field"] or "")
    assert "between 1900-01-01 and 2200-01-01" in refused.json()["error"]["message"]
    assert (await _events(pool), await _answers(pool)) == before


@pytest.mark.parametrize("route", ["history", "state"])
async def test_a_far_future_at_on_the_auditors_routes_is_422_not_500(
    opened: Opened, route: str
) -> None:
    refused = await opened.parties.auditor.get(
        f"/audit/pathways/{opened.pathway}/{route}", at=FAR_FUTURE
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["field"] == "at"
    fine = await opened.parties.auditor.get(
        f"/audit/pathways/{opened.pathway}/{route}", at="2199-01-01T00:00:00Z"
    )
    assert fine.status_code == 200, fine.text


async def test_cursors_that_postgresql_cannot_hold_are_422_not_500(opened: Opened) -> None:
    year_9999 = f"{FAR_FUTURE}|{opened.pathway}|h-bounds-1"
    inbox = await opened.parties.municipality.get("/agency/inbox", after=year_9999)
    assert inbox.status_code == 422, inbox.text
    assert inbox.json()["error"]["field"] == "after"
    nul_id = await opened.parties.municipality.get(
        "/agency/inbox", after="2026-01-01T00:00:00+00:00|p-x\x00|h-1"
    )
    assert nul_id.status_code == 422, nul_id.text
    caseload = await opened.parties.coordinator.get("/caseworker/caseload", after="p-x\x00")
    assert caseload.status_code == 422, caseload.text
    assert caseload.json()["error"]["field"] == "after"


async def test_an_unknown_filter_value_is_422_naming_it_and_the_values_allowed(
    opened: Opened,
) -> None:
    lost = await opened.parties.municipality.get("/agency/inbox", status="lost")
    assert lost.status_code == 422, lost.text
    assert lost.json()["error"]["field"] == "status"
    assert "requested" in lost.json()["error"]["message"]
    requested = await opened.parties.municipality.get("/agency/inbox", status="requested")
    assert requested.status_code == 200, requested.text


async def test_malformed_json_is_400_and_another_content_type_is_415(
    opened: Opened, pool: asyncpg.Pool
) -> None:
    before = await _events(pool)
    broken = await opened.parties.coordinator.http.post(
        opened.commands,
        content=b'{"type": "RecordWorkAspiration",',
        headers=_headers(opened.parties.coordinator, "json-0001"),
    )
    assert broken.status_code == 400, broken.text
    assert broken.json()["error"] == {
        "code": "malformed_body",
        "message": "the body is not valid JSON",
        "field": None,
    }
    form = await opened.parties.coordinator.http.post(
        opened.commands,
        content=b"type=RecordWorkAspiration",
        headers={
            **opened.parties.coordinator.headers(**{"Idempotency-Key": "json-0002"}),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert form.status_code == 415, form.text
    assert await _events(pool) == before


async def test_a_legal_reference_is_in_no_table_in_plaintext_projections_included(
    opened: Opened, pool: asyncpg.Pool
) -> None:
    # Personal since LegalBasisRecorded v2: encrypted in the store, and kept out of the folded
    # state that the projections keep as their working memory (which erasure does not rewrite).
    words = f"order-{uuid.uuid4().hex}"
    recorded = await opened.parties.coordinator.post(
        opened.commands,
        command(
            "RecordLegalBasis",
            recipient_org=HOSPITAL,
            purpose="care_coordination",
            data_categories=["care_plan"],
            legal_reference=f"court {words}",
        ),
    )
    assert recorded.status_code == 200, recorded.text
    await project(pool)
    state = await opened.parties.auditor.get(f"/audit/pathways/{opened.pathway}/state")
    assert state.status_code == 200
    assert words not in state.text
    tables = await pool.fetch(
        "SELECT schemaname, tablename FROM pg_tables"
        " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
    )
    holding = [
        f"{t['schemaname']}.{t['tablename']}"
        for t in tables
        if await pool.fetchval(
            f'SELECT count(*) FROM "{t["schemaname"]}"."{t["tablename"]}" r WHERE r::text LIKE $1',
            f"%{words}%",
        )
    ]
    assert holding == []
