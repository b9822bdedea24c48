"""``pathways demo``: synthetic people's pathways, run end to end on the configured services.

Four people, on different jurisdiction templates: a full route into work (NL), a declined and
redirected handover (DK), a handover nobody picks up that escalates to the coordinator and then
the supervisor (the ``fast`` template, whose clocks are seconds), and a readmission that pauses the
pathway and a discharge that resumes it (UK). Each person's route is printed as a timeline read
back from the event store.
"""

from __future__ import annotations

import secrets
import sys
from datetime import UTC, datetime
from typing import TextIO

import asyncpg
from temporalio.client import Client

from domain import PathwayState, fold, from_payload, render_timeline
from domain.commands import RecordAdmission, RecordDischarge
from domain.tracks import Responsibility
from eventstore import PostgresEventStore
from scripts.scenarios import Route, declined_and_redirected, full_route, until
from workers.database import connect_database
from workers.services import open_services
from workers.settings import Settings
from workers.temporal_client import connect_temporal
from workers.worker import build_worker
from workflows.inputs import stream_id


async def run_demo(settings: Settings, out: TextIO = sys.stdout) -> int:
    """Run the demo; returns the number of pathways in the store afterwards."""

    def say(line: str = "") -> None:
        print(line, file=out, flush=True)

    async with open_services(settings, progress=say) as services:
        say(f"postgres: {'embedded' if settings.embedded_postgres else 'external DSN'}")
        say(f"temporal: {services.temporal_address} (namespace {settings.temporal_namespace})")
        database = await connect_database(settings, services.database_url)
        pool = database.pool
        try:
            store = database.event_store()
            client = await connect_temporal(settings, services.temporal_address)
            run = secrets.token_hex(3)
            async with build_worker(client, pool, task_queue=settings.task_queue, store=store):
                routes = await _run_people(client, settings.task_queue, run, say)
                for title, route in routes:
                    await _print_timeline(store, route, title, say)
            total = await _count_pathways(pool)
            say(f"pathways in the event store: {total}")
            verification = await store.verify()
            say(f"event store verification: {'intact' if verification.ok else 'BROKEN'}")
            return total
        finally:
            await pool.close()


async def _run_people(
    client: Client, task_queue: str, run: str, say: object
) -> list[tuple[str, Route]]:
    assert callable(say)
    now = datetime.now(UTC)
    say("1/4 NL: discharge, municipal intake, IPS, a job and follow-along")
    work = Route(client, task_queue, f"p-{run}-nl", "nl")
    await full_route(work, now)

    say("2/4 DK: a municipality declines (out of area) and the coordinator redirects")
    redirect = Route(client, task_queue, f"p-{run}-dk", "dk")
    await declined_and_redirected(redirect, now)

    say("3/4 fast template: a handover nobody acknowledges escalates (seconds-long clocks)")
    escalate = Route(client, task_queue, f"p-{run}-fast", "fast")
    await escalate.open()
    await escalate.handover("h-social", Responsibility.SOCIAL, escalate.orgs.municipality)

    async def reached_supervisor() -> bool:
        assert escalate.handle is not None
        state = await escalate.handle.query("state", result_type=PathwayState)
        return any(level >= 2 for level in state.escalations.values())

    await until(reached_supervisor, within_seconds=60)

    say("4/4 UK: readmission during a handover pauses the pathway; discharge resumes it")
    relapse = Route(client, task_queue, f"p-{run}-uk", "uk")
    await relapse.open()
    await relapse.admitted_and_discharged(now)
    await relapse.handover("h-social", Responsibility.SOCIAL, relapse.orgs.municipality)
    await relapse.do(
        RecordAdmission(actor="ward-1", hospital_org=relapse.orgs.hospital, ward_type="crisis")
    )
    await relapse.do(RecordDischarge(actor="ward-1", suicide_risk_identified=True))
    await relapse.received("h-social", relapse.orgs.municipality)
    return [
        ("into work (NL)", work),
        ("declined and redirected (DK)", redirect),
        ("escalation (fast template)", escalate),
        ("readmission (UK)", relapse),
    ]


async def _print_timeline(store: PostgresEventStore, route: Route, title: str, say: object) -> None:
    assert callable(say)
    recorded = await store.read_stream(stream_id(route.pathway_id))
    events = [from_payload(r.type, r.schema_version, r.payload) for r in recorded]
    summary = await route.summary()
    say()
    say(f"== {route.pathway_id}: {title}, {len(events)} events read back from PostgreSQL")
    for line in render_timeline(events, seconds=True):
        say(f"   {line}")
    folded = fold(events, PathwayState.new(route.pathway_id))
    assert route.handle is not None
    live = await route.handle.query("state", result_type=PathwayState)
    say(f"   status {summary.status}; responsible {summary.responsible}")
    say(f"   the stored events fold to exactly the workflow's state: {folded == live}")


async def _count_pathways(pool: asyncpg.Pool) -> int:
    async with pool.acquire() as connection:
        value = await connection.fetchval(
            "SELECT count(*) FROM eventstore.streams WHERE stream_id LIKE 'pathway-%'"
        )
    return int(value)
