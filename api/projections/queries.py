"""The read side the HTTP API codes against: caseload, at-risk list, inbox, parties, outcomes.

Every query is one or two indexed statements on the ``projections`` schema (see the migration for
which index serves which query). The projections lag the event store by one subscription batch;
a caller that just wrote and must read its own write waits for the projector (``runner``).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from api.projections.models import (
    AtRiskRow,
    CaseloadRow,
    DeadlineItem,
    DurationFigure,
    InboxRow,
    OutcomeFigures,
    PartyRow,
    RebuildReport,
)
from api.projections.rebuild import rebuild as _rebuild
from api.projections.snapshot import snapshot as _snapshot
from domain.moments import within_range
from eventstore.connections import Connection

__all__ = [
    "agency_may_see",
    "at_risk",
    "caseload",
    "coordinator_of",
    "inbox",
    "outcome_figures",
    "pathway_parties",
    "rebuild",
    "snapshot",
]

_TRACK_COLUMNS = (
    ("clinical", "responsible_clinical"),
    ("social", "responsible_social"),
    ("employment", "responsible_employment"),
    ("income", "responsible_income"),
)

_CASELOAD_COLUMNS = """
    pathway_id, coordinator_id, coordinator_org, template_id, status, stage,
    responsible_clinical, responsible_social, responsible_employment, responsible_income,
    opened_at, last_event_at, open_gaps, next_deadline_at, next_deadline_kind, overdue_steps,
    overdue, at_risk, version, unresolved_declines
"""

# A case worker is a worker id *within* an organisation: the same id in another organisation is
# another person, who must see none of these rows. So every caseload query matches both.
# Keyset pagination on (coordinator_id, pathway_id): caseload_coordinator_idx serves it, the
# organisation is a filter on the few rows of one worker id.
_CASELOAD_SQL = f"""
    SELECT {_CASELOAD_COLUMNS}
    FROM projections.caseload
    WHERE coordinator_id = $1 AND coordinator_org = $4
      AND ($2::text IS NULL OR pathway_id > $2::text)
    ORDER BY pathway_id
    LIMIT $3
"""  # noqa: S608 - the column list is a constant; values are parameters

# The deadlines table carries the worker id only; the caseload row says which organisation
# coordinates the pathway.
_SOON_SQL = """
    SELECT d.pathway_id, d.kind, d.subject, d.due_at, d.escalation_level
    FROM projections.deadlines d
    JOIN projections.caseload c ON c.pathway_id = d.pathway_id AND c.coordinator_org = $3
    WHERE d.coordinator_id = $1 AND d.due_at <= $2
    ORDER BY d.due_at, d.pathway_id, d.kind, d.subject
"""

_AT_RISK_SQL = f"""
    SELECT {_CASELOAD_COLUMNS}
    FROM projections.caseload
    WHERE coordinator_id = $1 AND coordinator_org = $3 AND status IN ('active', 'paused')
      AND (at_risk OR pathway_id = ANY ($2::text[]))
    ORDER BY pathway_id
"""  # noqa: S608 - the column list is a constant; values are parameters

# Sharing with the receiver is covered at the database clock by a granted, unexpired, not
# withdrawn consent, or by a recorded legal basis (domain.consent.may_share, any purpose).
_COVERED_SQL = """
    SELECT s.kind FROM projections.sharing_bases s
    WHERE s.pathway_id = {alias}.pathway_id AND s.recipient_org = {org}
      AND NOT s.withdrawn
      AND (s.kind = 'legal_basis'
           OR (s.granted_at <= {now} AND {now} < s.expires_at))
    ORDER BY s.kind, s.basis_id
    LIMIT 1
"""

_INBOX_SQL = f"""
    SELECT i.*, ({_COVERED_SQL.format(alias="i", org="i.to_org", now="statement_timestamp()")})
           AS shared_under
    FROM projections.agency_inbox i
    WHERE i.to_org = $1
      AND ($2::text IS NULL OR i.status = $2::text)
      AND ($3::timestamptz IS NULL
           OR (i.requested_at <= $3::timestamptz
               AND ($3::timestamptz, i.pathway_id, i.handover_id)
                   > (i.requested_at, $4::text, $5::text)))
    ORDER BY i.requested_at DESC, i.pathway_id, i.handover_id
    LIMIT $6
"""  # noqa: S608 - fragments are constants; values are parameters

_PARTIES_SQL = """
    SELECT p.pathway_id, p.org_id, p.role, p.ref, p.current,
           (SELECT max(s.expires_at) FROM projections.sharing_bases s
            WHERE s.pathway_id = p.pathway_id AND s.recipient_org = p.org_id
              AND s.kind = 'consent' AND NOT s.withdrawn) AS consent_expires_at,
           EXISTS (SELECT FROM projections.sharing_bases s
                   WHERE s.pathway_id = p.pathway_id AND s.recipient_org = p.org_id
                     AND s.kind = 'legal_basis' AND NOT s.withdrawn) AS legal_basis
    FROM projections.parties p
    WHERE p.pathway_id = $1
    ORDER BY p.org_id, p.role, p.ref
"""

_MAY_SEE_SQL = f"""
    SELECT EXISTS (SELECT FROM projections.parties p
                   WHERE p.org_id = $1 AND p.pathway_id = $2 AND p.current)
       AND EXISTS ({_COVERED_SQL.format(alias="c", org="$1", now="$3::timestamptz")})
    FROM (SELECT $2::text AS pathway_id) c
"""  # noqa: S608 - fragments are constants; values are parameters

_DURATION = """
    count(d) AS n,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM d)) AS median,
    avg(extract(epoch FROM d))::float8 AS mean,
    max(extract(epoch FROM d))::float8 AS longest
"""

_OUTCOME_SQL = {
    "totals": """
        SELECT count(*) AS pathways,
               coalesce(sum(handovers_total), 0)::int AS handovers_total,
               coalesce(sum(handovers_overdue), 0)::int AS handovers_overdue,
               count(ips_enrolled_at)::int AS ips_enrolments,
               count(*) FILTER (
                   WHERE first_employer_contact_at <= ips_enrolled_at + interval '30 days'
               )::int AS ips_within
        FROM projections.outcomes
    """,
    "ips": f"""
        SELECT {_DURATION} FROM (
            SELECT first_employer_contact_at - ips_enrolled_at AS d FROM projections.outcomes
            WHERE ips_enrolled_at IS NOT NULL AND first_employer_contact_at IS NOT NULL) x
    """,  # noqa: S608 - constant fragment
    "discharge": f"""
        SELECT {_DURATION}, (SELECT count(*) FROM projections.outcome_discharges) AS total
        FROM (SELECT first_municipal_contact_at - discharged_at AS d
              FROM projections.outcome_discharges
              WHERE first_municipal_contact_at IS NOT NULL) x
    """,  # noqa: S608 - constant fragment
    "gaps": f"""
        SELECT {_DURATION},
               (SELECT count(*) FROM projections.outcome_gaps WHERE closed_at IS NULL) AS still_open
        FROM (SELECT duration AS d FROM projections.outcome_gaps WHERE closed_at IS NOT NULL) x
    """,  # noqa: S608 - constant fragment
    "jobs": """
        SELECT count(*)::int AS starts, count(DISTINCT pathway_id)::int AS people
        FROM projections.outcome_jobs
    """,
    "ended_jobs": f"""
        SELECT {_DURATION} FROM (SELECT ended_at - started_at AS d FROM projections.outcome_jobs
                                 WHERE ended_at IS NOT NULL) x
    """,  # noqa: S608 - constant fragment
    "ongoing_jobs": f"""
        SELECT {_DURATION} FROM (SELECT statement_timestamp() - started_at AS d
                                 FROM projections.outcome_jobs WHERE ended_at IS NULL) x
    """,  # noqa: S608 - constant fragment
}


def _caseload_row(row: asyncpg.Record) -> CaseloadRow:
    return CaseloadRow(
        pathway_id=row["pathway_id"],
        coordinator_id=row["coordinator_id"],
        coordinator_org=row["coordinator_org"],
        template_id=row["template_id"],
        status=row["status"],
        stage=row["stage"],
        responsible={track: row[col] for track, col in _TRACK_COLUMNS if row[col] is not None},
        opened_at=row["opened_at"],
        last_event_at=row["last_event_at"],
        open_gaps=row["open_gaps"],
        next_deadline_at=row["next_deadline_at"],
        next_deadline_kind=row["next_deadline_kind"],
        overdue_steps=row["overdue_steps"],
        at_risk=row["at_risk"],
        version=row["version"],
        cursor=row["pathway_id"],
    )


async def caseload(
    conn: Connection,
    *,
    coordinator_id: str,
    coordinator_org: str,
    limit: int = 100,
    after: str | None = None,
) -> list[CaseloadRow]:
    """One page of a coordinator's caseload, in pathway id order.

    Args:
        conn: a connection (or pool-lent connection) to the projections' database.
        coordinator_id: the pseudonymous id of the coordinating case worker.
        coordinator_org: the case worker's organisation (the same id elsewhere sees nothing).
        limit: rows per page (1..1000).
        after: the ``cursor`` of the last row of the previous page.
    """
    rows = await conn.fetch(_CASELOAD_SQL, coordinator_id, after, _page(limit), coordinator_org)
    return [_caseload_row(row) for row in rows]


async def at_risk(
    conn: Connection,
    *,
    coordinator_id: str,
    coordinator_org: str,
    now: datetime,
    horizon: timedelta = timedelta(days=7),
) -> list[AtRiskRow]:
    """A coordinator's live pathways with an open gap, an overdue step, or a deadline soon.

    A pathway is listed when a support gap is open, a recorded miss still awaits its step, a
    declined or failed handover awaits resolution, or any clock runs out at or before
    ``now + horizon`` (including clocks already past ``now`` whose miss is not yet recorded).
    Only pathways that ``coordinator_id`` coordinates *for* ``coordinator_org`` are listed.
    """
    soon = await conn.fetch(_SOON_SQL, coordinator_id, now + horizon, coordinator_org)
    by_pathway: dict[str, list[DeadlineItem]] = {}
    for d in soon:
        by_pathway.setdefault(d["pathway_id"], []).append(
            DeadlineItem(
                kind=d["kind"],
                subject=d["subject"],
                due_at=d["due_at"],
                escalation_level=d["escalation_level"],
                overdue=d["due_at"] <= now,
            )
        )
    rows = await conn.fetch(_AT_RISK_SQL, coordinator_id, list(by_pathway), coordinator_org)
    return [_at_risk_row(row, by_pathway.get(row["pathway_id"], [])) for row in rows]


def _at_risk_row(row: asyncpg.Record, deadlines: list[DeadlineItem]) -> AtRiskRow:
    reasons = []
    if row["open_gaps"]:
        reasons.append("open_gap")
    if row["overdue_steps"]:
        reasons.append("overdue_step")
    if row["unresolved_declines"]:
        reasons.append("unresolved_decline")
    if any(d.overdue for d in deadlines):
        reasons.append("deadline_passed")
    if any(not d.overdue for d in deadlines):
        reasons.append("deadline_soon")
    return AtRiskRow(
        pathway_id=row["pathway_id"],
        coordinator_id=row["coordinator_id"],
        status=row["status"],
        stage=row["stage"],
        open_gaps=row["open_gaps"],
        overdue_steps=row["overdue_steps"],
        overdue=list(row["overdue"]),
        deadlines=deadlines,
        reasons=reasons,
    )


# The ids in an inbox cursor are pseudonymous ids (``domain.ids``): nothing else is one of ours.
_CURSOR_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def inbox_cursor(requested_at: datetime, pathway_id: str, handover_id: str) -> str:
    """The opaque paging cursor of an inbox row (ids never contain ``|``)."""
    return f"{requested_at.isoformat()}|{pathway_id}|{handover_id}"


def _parse_inbox_cursor(after: str) -> tuple[datetime, str, str]:
    parts = after.split("|")
    if len(parts) != 3 or not all(_CURSOR_ID.fullmatch(part) for part in parts[1:]):
        raise ValueError("after is not an inbox cursor")
    moment = datetime.fromisoformat(parts[0])
    # A moment the projections can never hold (year 9999 at -12:00 has no UTC value) is no
    # cursor of theirs; within_range refuses it before PostgreSQL would fail on it.
    within_range(moment)
    return moment, parts[1], parts[2]


async def inbox(
    conn: Connection,
    *,
    organisation_id: str,
    status: str | None = None,
    limit: int = 100,
    after: str | None = None,
) -> list[InboxRow]:
    """One page of the handovers addressed to ``organisation_id``, newest request first.

    Args:
        conn: a connection to the projections' database.
        organisation_id: the receiving organisation; other organisations' handovers never appear.
        status: only handovers in this domain status (e.g. ``requested``, ``completed``).
        limit: rows per page (1..1000).
        after: the ``cursor`` of the last row of the previous page.

    Raises:
        ValueError: ``after`` is not a cursor this function produced.
    """
    moment, pathway_id, handover_id = (
        _parse_inbox_cursor(after) if after is not None else (None, None, None)
    )
    rows = await conn.fetch(
        _INBOX_SQL, organisation_id, status, moment, pathway_id, handover_id, _page(limit)
    )
    return [
        InboxRow(
            handover_id=r["handover_id"],
            pathway_id=r["pathway_id"],
            from_org=r["from_org"],
            to_org=r["to_org"],
            responsibility=r["responsibility"],
            route_id=r["route_id"],
            status=r["status"],
            fhir_task_status=r["fhir_task_status"],
            requested_at=r["requested_at"],
            acknowledged_at=r["acknowledged_at"],
            accepted_at=r["accepted_at"],
            first_contact_at=r["first_contact_at"],
            completed_at=r["completed_at"],
            decline_reason=r["decline_reason"],
            redirected_to=r["redirected_to"],
            next_step_kind=r["next_step_kind"],
            next_step_due_at=r["next_step_due_at"],
            next_step_escalation_level=r["next_step_escalation_level"],
            consent_covered=r["shared_under"] is not None,
            shared_under=r["shared_under"],
            cursor=inbox_cursor(r["requested_at"], r["pathway_id"], r["handover_id"]),
        )
        for r in rows
    ]


async def pathway_parties(conn: Connection, *, pathway_id: str) -> list[PartyRow]:
    """Every organisation's part in a pathway, with what covers sharing with it."""
    rows = await conn.fetch(_PARTIES_SQL, pathway_id)
    return [PartyRow(**dict(row)) for row in rows]


async def agency_may_see(
    conn: Connection, *, organisation_id: str, pathway_id: str, now: datetime
) -> bool:
    """True when the organisation currently takes part in the pathway and sharing is covered.

    Covered means an active consent names the organisation as recipient at ``now`` (granted,
    not withdrawn, not expired) or a legal basis for sharing with it is recorded.
    """
    return bool(await conn.fetchval(_MAY_SEE_SQL, organisation_id, pathway_id, now))


async def coordinator_of(conn: Connection, *, pathway_id: str) -> str | None:
    """The coordinating case worker of a pathway (``None``: unknown pathway or none assigned)."""
    value = await conn.fetchval(
        "SELECT coordinator_id FROM projections.caseload WHERE pathway_id = $1", pathway_id
    )
    return None if value is None else str(value)


def _duration(row: asyncpg.Record) -> DurationFigure:
    return DurationFigure(
        count=row["n"],
        median_seconds=row["median"],
        mean_seconds=row["mean"],
        max_seconds=row["longest"],
    )


async def outcome_figures(conn: Connection) -> OutcomeFigures:
    """The outcome figures over every pathway in the projections (see ``OutcomeFigures``)."""
    got: dict[str, Any] = {}
    for name, sql in _OUTCOME_SQL.items():
        got[name] = await conn.fetchrow(sql)
    totals, discharge, gaps, jobs = got["totals"], got["discharge"], got["gaps"], got["jobs"]
    return OutcomeFigures(
        pathways=totals["pathways"],
        discharges=discharge["total"],
        discharge_to_first_municipal_contact=_duration(discharge),
        discharges_without_municipal_contact=discharge["total"] - discharge["n"],
        gap_durations=_duration(gaps),
        open_gaps=gaps["still_open"],
        handovers_total=totals["handovers_total"],
        handovers_overdue=totals["handovers_overdue"],
        ips_enrolments=totals["ips_enrolments"],
        ips_employer_contact_within_30_days=totals["ips_within"],
        ips_employer_contact_later_or_not_yet=totals["ips_enrolments"] - totals["ips_within"],
        ips_time_to_first_employer_contact=_duration(got["ips"]),
        job_starts=jobs["starts"],
        people_with_job_start=jobs["people"],
        jobs_ended=got["ended_jobs"]["n"],
        ended_job_tenure=_duration(got["ended_jobs"]),
        jobs_ongoing=got["ongoing_jobs"]["n"],
        ongoing_job_tenure=_duration(got["ongoing_jobs"]),
    )


async def rebuild(pool: asyncpg.Pool) -> RebuildReport:
    """Drop every projection row and the checkpoint, and re-project the log from position zero.

    Runs in one transaction, so readers see the old rows until the rebuilt ones commit
    (see ``api.projections.rebuild``).
    """
    return await _rebuild(pool)


async def snapshot(conn: Connection) -> dict[str, list[dict[str, Any]]]:
    """Every projection row, per table, in key order: compare live and rebuilt projections."""
    return await _snapshot(conn)


def _page(limit: int) -> int:
    if not 1 <= limit <= 1000:
        raise ValueError("limit must be between 1 and 1000")
    return limit
