"""A whole route driven over HTTP by four principals, then replayed and exported by an auditor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from fhir.resources.R4B.bundle import Bundle

from tests.api.conftest import (
    HOSPITAL,
    IPS,
    MUNICIPALITY,
    Parties,
    access_log_count,
    command,
    opening,
    project,
)

P = "p-e2e-0001"


async def test_a_route_through_the_api_is_replayed_and_exported_by_an_auditor(
    parties: Parties, pool: asyncpg.Pool
) -> None:
    coordinator, hospital, municipality = (
        parties.coordinator,
        parties.hospital,
        parties.municipality,
    )
    ips, stranger, auditor = parties.ips, parties.stranger, parties.auditor
    now = datetime.now(UTC)

    opened = await coordinator.post("/caseworker/pathways", opening(P))
    assert opened.status_code == 201, opened.text
    assert opened.json()["stream_version"] >= 1

    async def do(body: dict[str, Any]) -> dict[str, Any]:
        response = await coordinator.post(f"/caseworker/pathways/{P}/commands", body)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    await do(command("RecordAdmission", hospital_org=HOSPITAL, ward_type="acute"))
    await do(command("RecordDischarge"))
    for org in (MUNICIPALITY, IPS):
        await do(
            command(
                "GrantConsent",
                recipient_org=org,
                purpose="handover",
                data_categories=["care_plan"],
                expires_at=(now + timedelta(days=365)).isoformat(),
            )
        )

    # The hospital, responsible for the clinical track, asks the municipality from its own system.
    requested = await hospital.post(
        f"/agency/pathways/{P}/handovers",
        {"handover_id": "h-social", "responsibility": "social", "to_org": MUNICIPALITY},
    )
    assert requested.status_code == 201, requested.text
    assert "HandoverRequested" in [e["type"] for e in requested.json()["events"]]

    await project(pool)
    inbox = await municipality.get("/agency/inbox")
    assert inbox.status_code == 200, inbox.text
    assert [(i["pathway_id"], i["handover_id"]) for i in inbox.json()["items"]] == [(P, "h-social")]
    assert (await ips.get("/agency/inbox")).json()["items"] == []

    for step in ("acknowledge", "accept", "first-contact"):
        body: dict[str, Any] | None = {} if step == "first-contact" else None
        response = await municipality.post(f"/agency/pathways/{P}/handovers/h-social/{step}", body)
        assert response.status_code == 200, (step, response.text)
    seen = await municipality.get(f"/agency/pathways/{P}")
    assert seen.status_code == 200, seen.text
    assert seen.json()["responsible"]["social"] == MUNICIPALITY

    # The coordinator hands employment support to the IPS provider; the IPS provider takes it.
    await do(
        command(
            "RequestHandover",
            handover_id="h-ips",
            responsibility="employment",
            from_org=HOSPITAL,
            to_org=IPS,
        )
    )
    await ips.post(f"/agency/pathways/{P}/handovers/h-ips/acknowledge")
    accepted = await ips.post(f"/agency/pathways/{P}/handovers/h-ips/accept")
    assert accepted.status_code == 200, accepted.text
    before_ips_contact = datetime.now(UTC)
    await do(command("EnrolInIps", ips_org=IPS, specialist_id="es-1"))
    contact = await ips.post(
        f"/agency/pathways/{P}/handovers/h-ips/first-contact", {"by_worker": "es-1"}
    )
    assert contact.status_code == 200, contact.text
    for body in (
        command("CompleteVocationalProfile"),
        command("StartJobSearch"),
        command("RecordEmployerContact", employer_id="emp-1"),
        command("StartJob", employer_id="emp-1", hours_per_week=16),
    ):
        await do(body)
    follow = await ips.post(
        f"/agency/pathways/{P}/contacts",
        {"contact": {"kind": "follow_along", "with_party": "worker"}},
    )
    assert follow.status_code == 200, follow.text

    # A stranger and an unknown id get the very same answer.
    hidden = await stranger.get(f"/agency/pathways/{P}")
    unknown = await stranger.get("/agency/pathways/p-does-not-exist")
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json() == unknown.json()
    refused = await stranger.post(f"/agency/pathways/{P}/handovers/h-social/accept")
    assert refused.status_code == 404

    # The coordinator's views.
    await project(pool)
    caseload = await coordinator.get("/caseworker/caseload")
    assert [r["pathway_id"] for r in caseload.json()["items"]] == [P]
    assert (await coordinator.get("/caseworker/at-risk")).status_code == 200
    view = await coordinator.get(f"/caseworker/pathways/{P}")
    assert view.status_code == 200, view.text
    assert view.json()["responsible"] == {
        "clinical": HOSPITAL,
        "social": MUNICIPALITY,
        "employment": IPS,
    }
    lines = [entry["text"] for entry in view.json()["timeline"]]
    assert any("h-social first contact made by org-nl-municipality-1" in line for line in lines)

    # The auditor: replay, state as of a past moment, verification, FHIR export.
    history = await auditor.get(f"/audit/pathways/{P}/history")
    assert history.status_code == 200, history.text
    assert history.json()["state"]["status"] == "active"
    assert len(history.json()["events"]) == view.json()["stream_version"]
    past = await auditor.get(f"/audit/pathways/{P}/state", at=before_ips_contact.isoformat())
    assert past.status_code == 200, past.text
    assert past.json()["state"]["handovers"]["h-ips"]["status"] == "accepted"
    assert past.json()["stream_version"] < view.json()["stream_version"]
    verified = await auditor.get("/audit/verify")
    assert verified.status_code == 200
    assert verified.json()["ok"], verified.json()

    exported = await auditor.get(f"/audit/pathways/{P}/export")
    assert exported.status_code == 200, exported.text
    bundle = Bundle.model_validate(exported.json())
    resources: list[Any] = [entry.resource for entry in bundle.entry or []]
    kinds = [resource.get_resource_type() for resource in resources]
    assert kinds.count("Task") == 2
    assert kinds.count("Provenance") == len(history.json()["events"])
    assert kinds.count("AuditEvent") >= 8  # one per read of this pathway, its export included
    tasks = {r.identifier[0].value: r.status for r in resources if r.get_resource_type() == "Task"}
    assert tasks == {"h-social": "completed", "h-ips": "completed"} or tasks["h-ips"] in {
        "in-progress",
        "completed",
    }

    # Every read above is in the access log, the refused one included, and the log verifies.
    log = await auditor.get("/audit/access-log", pathway_id=P)
    resources = [(e["resource"], e["outcome"]) for e in log.json()["items"]]
    assert ("GET /agency/pathways/{pathway_id}", "denied") in resources
    assert ("GET /caseworker/pathways/{pathway_id}", "allowed") in resources
    assert ("GET /audit/pathways/{pathway_id}/export", "allowed") in resources
    assert await access_log_count(pool) >= 10
