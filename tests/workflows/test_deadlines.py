"""Deadlines on the real dev server, with the ``fast`` template's seconds-long clocks.

The first employer contact after IPS entry is due ``ips_first_employer_contact`` (10 s in the fast
template, 30 days in the real ones) after enrolment. The domain's rule for a pause
(``domain.clock.due_after``): paused time does not count, so after the pause the clock runs out
when its *remaining* running time has passed.

Nothing here asserts on wall-clock durations: the assertions compare the instants the workflow
recorded in the stored events (``occurred_at``, ``due_at``) with the domain's own arithmetic.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import asyncpg
from temporalio.client import Client

from domain import PathwayState
from domain.commands import EnrolInIps, RecordAdmission, RecordDischarge
from domain.escalation import DeadlineKind
from domain.events import (
    DeadlineMissed,
    EscalationRaised,
    IpsEnrolled,
    PathwayPaused,
    PathwayResumed,
)
from domain.templates import load_template
from eventstore import PostgresEventStore
from scripts.scenarios import COORDINATOR, SUPERVISOR, Route, until
from tests.workflows.stored_events import folded, only, stored_events

IPS_KIND = DeadlineKind.IPS_FIRST_EMPLOYER_CONTACT
IPS_CLOCK = load_template("fast").clocks.ips_first_employer_contact.duration


async def _ips_notifications(pool: asyncpg.Pool, pathway_id: str) -> list[tuple[str, str, int]]:
    async with pool.acquire() as connection:
        rows = await connection.fetch(
            "SELECT recipient_role, recipient_id, level FROM pathways.notifications "
            "WHERE pathway_id = $1 AND kind = $2 ORDER BY level",
            pathway_id,
            IPS_KIND.value,
        )
    return [(r["recipient_role"], r["recipient_id"], r["level"]) for r in rows]


async def _enrol(route: Route) -> None:
    ips = route.orgs.ips
    await route.do(EnrolInIps(actor="es-1", ips_org=ips, specialist_id="es-1"))


async def test_a_missed_first_employer_contact_after_ips_entry_is_flagged_and_escalated(
    temporal_client: Client, running_worker: PostgresEventStore, pool: asyncpg.Pool, task_queue: str
) -> None:
    route = Route(temporal_client, task_queue, f"p-ips-miss-{task_queue}", "fast")
    await route.open()
    await _enrol(route)

    async def reached_supervisor() -> bool:
        return len(await _ips_notifications(pool, route.pathway_id)) == 2

    await until(reached_supervisor, within_seconds=120)

    assert await _ips_notifications(pool, route.pathway_id) == [
        ("coordinator", COORDINATOR, 1),
        ("supervisor", SUPERVISOR, 2),
    ]
    events = await stored_events(running_worker, route.pathway_id)
    (enrolled,) = only(events, IpsEnrolled)
    missed = [e for e in only(events, DeadlineMissed) if e.kind is IPS_KIND]
    assert [(m.subject, m.escalation_level) for m in missed] == [
        (enrolled.enrolment_id, 1),
        (enrolled.enrolment_id, 2),
    ]
    assert missed[0].due_at == enrolled.occurred_at + IPS_CLOCK
    assert all(m.occurred_at >= m.due_at for m in missed)
    raised = [e for e in only(events, EscalationRaised) if e.kind is IPS_KIND]
    assert [(r.target_role.value, r.target_id) for r in raised] == [
        ("coordinator", COORDINATOR),
        ("supervisor", SUPERVISOR),
    ]
    assert route.handle is not None
    state = await route.handle.query("state", result_type=PathwayState)
    # A miss flags and escalates; it never ends the employment track or IPS.
    assert state.escalations[f"{IPS_KIND.value}:{enrolled.enrolment_id}"] == 2
    assert state.employment.enrolment_id == enrolled.enrolment_id
    assert await folded(running_worker, route.pathway_id) == state


async def test_a_readmission_stops_the_clock_and_discharge_restarts_it_with_the_time_left(
    temporal_client: Client, running_worker: PostgresEventStore, pool: asyncpg.Pool, task_queue: str
) -> None:
    route = Route(temporal_client, task_queue, f"p-ips-pause-{task_queue}", "fast")
    hospital = route.orgs.hospital
    await route.open()
    await route.do(RecordAdmission(actor="ward-1", hospital_org=hospital, ward_type="acute"))
    await route.do(RecordDischarge(actor="ward-1", suicide_risk_identified=False))
    await _enrol(route)
    await route.do(RecordAdmission(actor="ward-1", hospital_org=hospital, ward_type="crisis"))

    events = await stored_events(running_worker, route.pathway_id)
    (enrolled,) = only(events, IpsEnrolled)
    (paused,) = only(events, PathwayPaused)
    would_have_fired = enrolled.occurred_at + IPS_CLOCK
    # Stay paused until well past the instant the clock would have run out without the pause.
    pause_until = would_have_fired + IPS_CLOCK / 2
    await asyncio.sleep(max(0.0, (pause_until - datetime.now(UTC)).total_seconds()))

    assert await _ips_notifications(pool, route.pathway_id) == []
    during = await stored_events(running_worker, route.pathway_id)
    assert not [e for e in only(during, DeadlineMissed) if e.kind is IPS_KIND]
    summary = await route.summary()
    assert summary.status == "paused"
    assert IPS_KIND not in {d.kind for d in summary.next_deadlines}  # frozen, not rescheduled

    await route.do(RecordDischarge(actor="ward-1", suicide_risk_identified=False))

    async def escalated() -> bool:
        return bool(await _ips_notifications(pool, route.pathway_id))

    await until(escalated, within_seconds=120)

    events = await stored_events(running_worker, route.pathway_id)
    (resumed,) = only(events, PathwayResumed)
    first_miss = next(
        e for e in only(events, DeadlineMissed) if e.kind is IPS_KIND and e.escalation_level == 1
    )
    ran_before_pause = paused.occurred_at - enrolled.occurred_at
    assert resumed.occurred_at > would_have_fired  # the pause covered the original due instant
    assert first_miss.due_at == resumed.occurred_at + (IPS_CLOCK - ran_before_pause)
    assert first_miss.occurred_at >= first_miss.due_at
    assert (await _ips_notifications(pool, route.pathway_id))[0] == ("coordinator", COORDINATOR, 1)
    assert route.handle is not None
    state = await route.handle.query("state", result_type=PathwayState)
    assert await folded(running_worker, route.pathway_id) == state
