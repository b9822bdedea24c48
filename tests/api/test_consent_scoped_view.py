"""Consent decides what an agency sees of a pathway, part by part, over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.api.conftest import HOSPITAL, IPS, Caller, Parties, command, opening

P = "p-scope-0001"


async def _do(coordinator: Caller, body: dict[str, Any]) -> None:
    response = await coordinator.post(f"/caseworker/pathways/{P}/commands", body)
    assert response.status_code == 200, response.text


async def test_an_ips_provider_learns_who_gives_psychiatric_care_only_under_a_care_plan_consent(
    parties: Parties,
) -> None:
    coordinator, ips = parties.coordinator, parties.ips
    expires = (datetime.now(UTC) + timedelta(days=90)).isoformat()
    assert (await coordinator.post("/caseworker/pathways", opening(P))).status_code == 201
    await _do(coordinator, command("RecordAdmission", hospital_org=HOSPITAL, ward_type="acute"))
    await _do(coordinator, command("RecordDischarge"))
    await _do(
        coordinator,
        command(
            "GrantConsent",
            recipient_org=IPS,
            purpose="employment_support",
            data_categories=["employment_history"],
            expires_at=expires,
        ),
    )
    await _do(
        coordinator,
        command(
            "RequestHandover",
            handover_id="h-ips",
            responsibility="employment",
            from_org=HOSPITAL,
            to_org=IPS,
        ),
    )

    seen = await ips.get(f"/agency/pathways/{P}")
    assert seen.status_code == 200, seen.text
    view = seen.json()
    assert "clinical" not in view["responsible"]
    assert view["open_gaps"] == []
    withheld = {w["part"]: w for w in view["withheld"]}
    assert withheld["clinical_track"]["data_category"] == "care_plan"
    assert "handover" in withheld["clinical_track"]["purposes"]
    # Its own handover it always sees: it must act on it.
    assert [h["handover_id"] for h in view["handovers"]] == ["h-ips"]

    await _do(
        coordinator,
        command(
            "GrantConsent",
            recipient_org=IPS,
            purpose="handover",
            data_categories=["care_plan"],
            expires_at=expires,
        ),
    )
    view = (await ips.get(f"/agency/pathways/{P}")).json()
    assert view["responsible"]["clinical"] == HOSPITAL
    assert "clinical_track" not in {w["part"] for w in view["withheld"]}
