"""Synthetic people's routes, driven through the real workflow as agencies would drive them.

Used by ``pathways demo`` and by the workflow tests. Every id is pseudonymous; no scenario carries
personal data.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from temporalio.client import Client

from domain import Command
from domain.commands import (
    AcceptHandover,
    AcknowledgeHandover,
    CompleteVocationalProfile,
    DeclineHandover,
    EnrolInIps,
    GrantConsent,
    RecordAdmission,
    RecordDischarge,
    RecordEmployerContact,
    RecordFirstContact,
    RecordFollowAlongContact,
    RedirectHandover,
    RequestHandover,
    StartJob,
    StartJobSearch,
)
from domain.commands.pathway import OpenPathway
from domain.consent import DataCategory, Purpose
from domain.employment import ContactParty
from domain.handover import DeclineReason
from domain.state import EntryChannel
from domain.tracks import Responsibility, Track
from workers.pathway_client import PathwayHandle, execute, open_pathway
from workflows.inputs import PathwaySummary

COORDINATOR = "cw-0001"
SUPERVISOR = "sup-0001"


@dataclass(frozen=True)
class Orgs:
    """The pseudonymous organisations of one jurisdiction's route."""

    hospital: str
    municipality: str
    other_municipality: str
    ips: str


def orgs_for(country: str) -> Orgs:
    """Organisation ids for a country code."""
    c = country.lower()
    return Orgs(
        hospital=f"org-{c}-hospital-1",
        municipality=f"org-{c}-municipality-1",
        other_municipality=f"org-{c}-municipality-2",
        ips=f"org-{c}-ips-1",
    )


def discharge_commands(orgs: Orgs, now: datetime) -> list[Command]:
    """Admission, discharge, and consent to share the care plan with the municipality."""
    return [
        RecordAdmission(actor="ward-1", hospital_org=orgs.hospital, ward_type="acute"),
        RecordDischarge(actor="ward-1", suicide_risk_identified=False),
        GrantConsent(
            actor="person",
            recipient_org=orgs.municipality,
            purpose=Purpose.HANDOVER,
            data_categories=frozenset({DataCategory.CARE_PLAN}),
            expires_at=now + timedelta(days=365),
        ),
    ]


def handover_request(
    orgs: Orgs, handover_id: str, responsibility: Responsibility, to_org: str
) -> RequestHandover:
    """The coordinator asks ``to_org`` to take ``responsibility`` over from the hospital."""
    return RequestHandover(
        actor=COORDINATOR,
        handover_id=handover_id,
        responsibility=responsibility,
        from_org=orgs.hospital,
        to_org=to_org,
    )


def handover_receipt(handover_id: str, by_org: str) -> list[Command]:
    """The receiver closes the loop: acknowledge, accept, first contact."""
    return [
        AcknowledgeHandover(actor=by_org, handover_id=handover_id, by_org=by_org),
        AcceptHandover(actor=by_org, handover_id=handover_id, by_org=by_org),
        RecordFirstContact(actor=by_org, handover_id=handover_id, by_org=by_org),
    ]


def social_handover_route(
    orgs: Orgs, now: datetime, handover_id: str = "h-social"
) -> list[Command]:
    """After opening: discharge, then a warm handover of social support to the municipality."""
    return [
        *discharge_commands(orgs, now),
        handover_request(orgs, handover_id, Responsibility.SOCIAL, orgs.municipality),
        *handover_receipt(handover_id, orgs.municipality),
    ]


class Route:
    """One synthetic person's pathway and the commands sent to it."""

    def __init__(self, client: Client, task_queue: str, pathway_id: str, template_id: str) -> None:
        self.client = client
        self.task_queue = task_queue
        self.pathway_id = pathway_id
        self.template_id = template_id
        self.orgs = orgs_for(template_id)
        self.handle: PathwayHandle | None = None

    def opening(self) -> OpenPathway:
        """The command that opens this route's pathway."""
        return OpenPathway(
            actor=COORDINATOR,
            pathway_id=self.pathway_id,
            template_id=self.template_id,
            template_version=1,
            coordinator_id=COORDINATOR,
            coordinator_org=self.orgs.municipality,
            supervisor_id=SUPERVISOR,
            entry_channel=EntryChannel.HOSPITAL,
            tracks={Track.CLINICAL: self.orgs.hospital},
        )

    async def open(self) -> None:
        self.handle = await open_pathway(self.client, self.opening(), task_queue=self.task_queue)

    async def do(self, command: Command) -> None:
        assert self.handle is not None, "open() first"
        await execute(self.handle, command)

    async def summary(self) -> PathwaySummary:
        assert self.handle is not None, "open() first"
        summary: PathwaySummary = await self.handle.query("summary", result_type=PathwaySummary)
        return summary

    async def admitted_and_discharged(self, now: datetime) -> None:
        for command in discharge_commands(self.orgs, now):
            await self.do(command)

    async def handover(self, handover_id: str, responsibility: Responsibility, to_org: str) -> None:
        await self.do(handover_request(self.orgs, handover_id, responsibility, to_org))

    async def received(self, handover_id: str, by_org: str) -> None:
        for command in handover_receipt(handover_id, by_org):
            await self.do(command)

    async def into_work(self) -> None:
        ips = self.orgs.ips
        await self.handover("h-ips", Responsibility.EMPLOYMENT, ips)
        await self.do(AcknowledgeHandover(actor=ips, handover_id="h-ips", by_org=ips))
        await self.do(AcceptHandover(actor=ips, handover_id="h-ips", by_org=ips))
        await self.do(EnrolInIps(actor="es-1", ips_org=ips, specialist_id="es-1"))
        await self.do(RecordFirstContact(actor="es-1", handover_id="h-ips", by_org=ips))
        await self.do(CompleteVocationalProfile(actor="es-1"))
        await self.do(StartJobSearch(actor="es-1"))
        await self.do(RecordEmployerContact(actor="es-1", employer_id="emp-1"))
        await self.do(StartJob(actor="es-1", employer_id="emp-1", hours_per_week=16))
        await self.do(RecordFollowAlongContact(actor="es-1", with_party=ContactParty.WORKER))
        await self.do(RecordFollowAlongContact(actor="es-1", with_party=ContactParty.EMPLOYER))


async def full_route(route: Route, now: datetime) -> None:
    """Admission, discharge, municipal intake, IPS, a job and follow-along."""
    await route.open()
    await route.admitted_and_discharged(now)
    await route.handover("h-social", Responsibility.SOCIAL, route.orgs.municipality)
    await route.received("h-social", route.orgs.municipality)
    await route.into_work()


async def declined_and_redirected(route: Route, now: datetime) -> None:
    """The first municipality declines (out of area); the coordinator redirects."""
    await route.open()
    await route.admitted_and_discharged(now)
    await route.handover("h-social", Responsibility.SOCIAL, route.orgs.other_municipality)
    other = route.orgs.other_municipality
    await route.do(
        DeclineHandover(
            actor=other, handover_id="h-social", by_org=other, reason_code=DeclineReason.OUT_OF_AREA
        )
    )
    await route.do(
        RedirectHandover(
            actor=COORDINATOR,
            handover_id="h-social",
            to_org=route.orgs.municipality,
            new_handover_id="h-social-2",
        )
    )
    await route.received("h-social-2", route.orgs.municipality)


async def until(
    check: Callable[[], Awaitable[bool]], *, within_seconds: float = 60, interval: float = 0.5
) -> None:
    """Poll ``check`` until it holds; raises TimeoutError after ``within_seconds``."""
    async with asyncio.timeout(within_seconds):
        while not await check():  # noqa: ASYNC110 - polling another system; nothing to wait on
            await asyncio.sleep(interval)
