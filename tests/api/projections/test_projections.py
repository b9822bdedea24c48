"""Projections fed live by the real workflow on real PostgreSQL equal a rebuild from zero."""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from temporalio.client import Client

from api.projections import queries
from api.projections.projector import Projector, projection_store
from api.projections.runner import SUBSCRIPTION_NAME, catch_up, projection_subscription
from api.projections.runner import run_projections as run_live
from domain.tracks import Responsibility
from eventstore import PostgresEventStore
from scripts.scenarios import COORDINATOR, Route, declined_and_redirected, full_route, until
from workflows.inputs import stream_id

COUNTRIES = ("dk", "nl", "uk", "de", "it", "es")


@pytest.fixture
async def live_projections(pool: asyncpg.Pool) -> AsyncIterator[None]:
    """``run_projections`` in the background for the whole test, stopped afterwards."""
    stop = asyncio.Event()
    listening = asyncio.Event()
    task = asyncio.create_task(run_live(pool, stop, poll_interval=0.5, listening=listening))
    await asyncio.wait_for(listening.wait(), timeout=30)
    yield
    stop.set()
    await asyncio.wait_for(task, timeout=30)


async def _settled(pool: asyncpg.Pool) -> bool:
    """Caught up, and no clock runs out within 20 s (the fast template's escalations are over)."""
    lag = await projection_subscription(pool).lag()
    if lag.events_behind:
        return False
    soonest = await pool.fetchval("SELECT min(due_at) FROM projections.deadlines")
    return soonest is None or soonest > datetime.now(UTC) + timedelta(seconds=20)


async def _discharge_to_municipal_contact(store: PostgresEventStore, pathway_id: str) -> float:
    events = await store.read_stream(stream_id(pathway_id))
    discharged = next(e for e in events if e.type == "PersonDischarged")
    social = {
        e.payload["handover_id"]
        for e in events
        if e.type == "HandoverRequested" and e.payload["responsibility"] == "social"
    }
    contact = next(
        e for e in events if e.type == "FirstContactMade" and e.payload["handover_id"] in social
    )
    started = datetime.fromisoformat(discharged.payload["occurred_at"])
    return (datetime.fromisoformat(contact.payload["occurred_at"]) - started).total_seconds()


@pytest.mark.usefixtures("live_projections")
async def test_live_projections_equal_a_rebuild_and_answer_what_the_routes_imply(
    temporal_client: Client, running_worker: PostgresEventStore, pool: asyncpg.Pool, task_queue: str
) -> None:
    now = datetime.now(UTC)
    routes = {c: Route(temporal_client, task_queue, f"p-{c}-{task_queue}", c) for c in COUNTRIES}
    fast = Route(temporal_client, task_queue, f"p-fast-{task_queue}", "fast")
    redirected = Route(temporal_client, task_queue, f"p-redirect-{task_queue}", "fast")
    escalated = Route(temporal_client, task_queue, f"p-escalate-{task_queue}", "fast")

    async def escalation() -> None:
        await escalated.open()
        await escalated.handover("h-1", Responsibility.SOCIAL, escalated.orgs.municipality)

    await asyncio.gather(
        *(full_route(r, now) for r in (*routes.values(), fast)),
        declined_and_redirected(redirected, now),
        escalation(),
    )
    # An erasure appends a non-domain event to a pathway stream: it only moves the version.
    first = (await running_worker.read_stream(stream_id(routes["dk"].pathway_id)))[0]
    assert first.subject_id is not None
    await running_worker.erase(first.subject_id, actor="auditor-1")
    await until(lambda: _settled(pool), within_seconds=120, interval=1)

    async with pool.acquire() as conn:
        live = await queries.snapshot(conn)
    report = await queries.rebuild(pool)
    async with pool.acquire() as conn:
        rebuilt = await queries.snapshot(conn)
    assert report.pathways == 9
    assert report.events == await pool.fetchval("SELECT count(*) FROM eventstore.events")
    assert rebuilt == live
    assert await catch_up(pool) == 0  # the rebuild left the checkpoint at the end of the log

    dk, orgs = routes["dk"], routes["dk"].orgs
    dk_version = await running_worker.stream_version(stream_id(dk.pathway_id))
    async with pool.acquire() as conn:
        # The caseload: every pathway the coordinator coordinates for their organisation, one
        # row each, paged in id order. COORDINATOR is a worker id in each template's first
        # municipality: nine pathways, but in seven organisations, so seven caseloads.
        caseloads = {}
        for org in {r.orgs.municipality for r in (*routes.values(), fast)}:
            page = await queries.caseload(
                conn, coordinator_id=COORDINATOR, coordinator_org=org, limit=2
            )
            rest = await queries.caseload(
                conn, coordinator_id=COORDINATOR, coordinator_org=org, after=page[-1].cursor
            )
            caseloads[org] = [r.pathway_id for r in (*page, *rest)]
        assert sorted(caseloads[fast.orgs.municipality]) == sorted(
            r.pathway_id for r in (fast, redirected, escalated)
        )
        assert caseloads[orgs.municipality] == [dk.pathway_id]
        assert sum(len(ids) for ids in caseloads.values()) == 9
        (dk_row,) = await queries.caseload(
            conn, coordinator_id=COORDINATOR, coordinator_org=orgs.municipality
        )
        assert dk_row.responsible == {
            "clinical": orgs.hospital,
            "social": orgs.municipality,
            "employment": orgs.ips,
        }
        assert (dk_row.status, dk_row.stage, dk_row.version) == ("active", "in_work", dk_version)
        assert dk_row.open_gaps == 0
        assert (
            await queries.caseload(
                conn, coordinator_id="cw-nobody", coordinator_org=orgs.municipality
            )
            == []
        )
        # The same worker id in an organisation that coordinates nothing sees nothing.
        assert (
            await queries.caseload(
                conn, coordinator_id=COORDINATOR, coordinator_org=orgs.other_municipality
            )
            == []
        )
        assert await queries.coordinator_of(conn, pathway_id=dk.pathway_id) == COORDINATOR
        assert await queries.coordinator_of(conn, pathway_id="p-unknown") is None

        # The inbox: only handovers addressed to the organisation.
        (dk_inbox,) = await queries.inbox(conn, organisation_id=orgs.municipality)
        assert (dk_inbox.pathway_id, dk_inbox.handover_id) == (dk.pathway_id, "h-social")
        assert (dk_inbox.status, dk_inbox.fhir_task_status) == ("completed", "completed")
        assert dk_inbox.consent_covered
        assert dk_inbox.shared_under == "consent"
        assert dk_inbox.next_step_kind is None
        municipality = escalated.orgs.municipality
        fast_inbox = await queries.inbox(conn, organisation_id=municipality)
        assert {(r.pathway_id, r.handover_id, r.status) for r in fast_inbox} == {
            (fast.pathway_id, "h-social", "completed"),
            (redirected.pathway_id, "h-social-2", "completed"),
            (escalated.pathway_id, "h-1", "requested"),
        }
        (waiting,) = await queries.inbox(conn, organisation_id=municipality, status="requested")
        assert waiting.pathway_id == escalated.pathway_id
        assert not waiting.consent_covered  # no consent was granted in that pathway
        one = await queries.inbox(conn, organisation_id=municipality, limit=1)
        after = await queries.inbox(conn, organisation_id=municipality, after=one[0].cursor)
        assert [r.cursor for r in (*one, *after)] == [r.cursor for r in fast_inbox]
        (declined,) = await queries.inbox(conn, organisation_id=redirected.orgs.other_municipality)
        assert (declined.status, declined.decline_reason) == ("redirected", "out_of_area")
        assert declined.redirected_to == "h-social-2"

        # At risk: the unacknowledged handover was missed twice and is still overdue.
        risky = await queries.at_risk(
            conn,
            coordinator_id=COORDINATOR,
            coordinator_org=escalated.orgs.municipality,
            now=datetime.now(UTC),
        )
        escalated_row = next(r for r in risky if r.pathway_id == escalated.pathway_id)
        assert "overdue_step" in escalated_row.reasons
        assert {"handover_acknowledge:h-1", "handover_accept:h-1"} <= set(escalated_row.overdue)
        assert dk.pathway_id not in {r.pathway_id for r in risky}  # another organisation's
        (dk_soon,) = await queries.at_risk(
            conn,
            coordinator_id=COORDINATOR,
            coordinator_org=orgs.municipality,
            now=datetime.now(UTC),
        )
        assert dk_soon.reasons == ["deadline_soon"]  # its 7-day discharge follow-up is due
        calm = await queries.at_risk(
            conn,
            coordinator_id=COORDINATOR,
            coordinator_org=orgs.municipality,
            now=datetime.now(UTC),
            horizon=timedelta(hours=1),
        )
        assert dk.pathway_id not in {r.pathway_id for r in calm}
        # A month ahead, the Danish clocks (IPS follow-along, discharge follow-up) are due.
        ahead = await queries.at_risk(
            conn,
            coordinator_id=COORDINATOR,
            coordinator_org=orgs.municipality,
            now=datetime.now(UTC) + timedelta(days=31),
        )
        dk_ahead = next(r for r in ahead if r.pathway_id == dk.pathway_id)
        assert "deadline_passed" in dk_ahead.reasons
        assert all(d.overdue for d in dk_ahead.deadlines)

        # Parties and consent: the municipality is covered by the person's consent, not forever.
        parties = await queries.pathway_parties(conn, pathway_id=dk.pathway_id)
        muni = next(p for p in parties if (p.org_id, p.role) == (orgs.municipality, "responsible"))
        assert muni.current
        assert muni.consent_expires_at is not None
        moment = datetime.now(UTC)
        may_see = queries.agency_may_see
        assert await may_see(
            conn, organisation_id=orgs.municipality, pathway_id=dk.pathway_id, now=moment
        )
        assert not await may_see(
            conn, organisation_id=orgs.ips, pathway_id=dk.pathway_id, now=moment
        )  # party, but no consent or legal basis
        assert not await may_see(
            conn,
            organisation_id=orgs.municipality,
            pathway_id=dk.pathway_id,
            now=moment + timedelta(days=400),
        )
        assert not await may_see(
            conn,
            organisation_id=redirected.orgs.other_municipality,
            pathway_id=redirected.pathway_id,
            now=moment,
        )

        # Outcome figures, from the events' own times.
        figures = await queries.outcome_figures(conn)
        overdue = await conn.fetchval(
            "SELECT handovers_overdue FROM projections.outcomes WHERE pathway_id = $1",
            escalated.pathway_id,
        )
    discharged = [*routes.values(), fast, redirected]
    waits = [
        await _discharge_to_municipal_contact(running_worker, r.pathway_id) for r in discharged
    ]
    assert figures.pathways == 9
    assert figures.discharges == 8
    assert figures.discharges_without_municipal_contact == 0
    contact = figures.discharge_to_first_municipal_contact
    assert contact.count == 8
    assert contact.median_seconds == pytest.approx(statistics.median(waits))
    assert contact.max_seconds == pytest.approx(max(waits))
    assert figures.gap_durations.count == 8
    assert figures.open_gaps == 0
    assert figures.handovers_total == 7 * 2 + 2 + 1
    assert overdue == 1
    assert figures.handovers_overdue >= 1
    assert (figures.ips_enrolments, figures.ips_employer_contact_within_30_days) == (7, 7)
    assert (figures.job_starts, figures.people_with_job_start, figures.jobs_ongoing) == (7, 7, 7)
    assert figures.jobs_ended == 0


async def test_redelivered_events_change_nothing(
    temporal_client: Client, running_worker: PostgresEventStore, pool: asyncpg.Pool, task_queue: str
) -> None:
    route = Route(temporal_client, task_queue, f"p-again-{task_queue}", "nl")
    await declined_and_redirected(route, datetime.now(UTC))
    assert await catch_up(pool) > 0
    async with pool.acquire() as conn:
        before = await queries.snapshot(conn)
    events = [e async for e in projection_store(pool).read_all()]

    # The same batch again, through a fresh projector (no cache) and one event at a time.
    projector = Projector(projection_store(pool))
    async with pool.acquire() as conn, conn.transaction():
        assert await projector.apply(conn, events) == 0
        for event in events:
            await projector.handle(conn, event)
        assert await queries.snapshot(conn) == before

    # The subscription itself delivers everything again after its checkpoint is lost.
    await pool.execute(
        "DELETE FROM eventstore.subscription_checkpoints WHERE subscription = $1",
        SUBSCRIPTION_NAME,
    )
    assert await catch_up(pool) == len(events)
    async with pool.acquire() as conn:
        assert await queries.snapshot(conn) == before
        (row,) = await queries.caseload(
            conn, coordinator_id=COORDINATOR, coordinator_org=route.orgs.municipality
        )
    assert row.version == len(events)
