"""Synthetic projection rows for the query-latency bench (100,000 pathways and more).

Writes rows straight into the projection tables with COPY, bypassing the event store: the bench
measures the read side (caseload, inbox, at-risk queries) at scale, not the projector. Seeded rows
have no events behind them, so ``rebuild`` removes them; seed a database of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

from api.projections.tables import AGENCY_INBOX, CASELOAD, DEADLINES, PARTIES, SHARING_BASES, Table
from eventstore.connections import Connection

Row = tuple[Any, ...]


class SeedSummary(BaseModel, frozen=True):
    """What was seeded, and example keys to query with."""

    pathways: int
    handovers: int
    coordinators: int
    organisations: int
    example_coordinator: str
    example_organisation: str


# Every synthetic coordinator works for this one organisation (the caseload is per worker id and
# organisation, so the benchmark's case-worker tokens name it).
COORDINATOR_ORG = "org-bench-cw"


def coordinator_id(n: int) -> str:
    """The pseudonymous id of synthetic coordinator ``n``."""
    return f"cw-bench-{n:05d}"


def organisation_id(n: int) -> str:
    """The pseudonymous id of synthetic receiving organisation ``n``."""
    return f"org-bench-{n:04d}"


def _pathway_rows(i: int, coordinators: int, organisations: int, now: datetime) -> dict[str, Row]:
    pathway = f"p-bench-{i:07d}"
    coordinator = coordinator_id(i % coordinators)
    org = organisation_id(i % organisations)
    hospital = organisation_id((i + 1) % organisations)
    opened = now - timedelta(days=i % 400, minutes=i % 1440)
    requested = opened + timedelta(hours=1)
    due = now + timedelta(hours=(i % 24 * 14) - 48)  # from two days ago to two weeks ahead
    at_risk = i % 10 == 0
    status = "requested" if i % 3 else "completed"
    return {
        CASELOAD.name: (
            pathway, coordinator, COORDINATOR_ORG, "dk", 1, "active",
            "municipal_support" if status == "completed" else "discharge_transition",
            hospital, org if status == "completed" else None, None, None,
            opened, requested, 1 if at_risk else 0, 0, due, "handover_acknowledge",
            1 if at_risk else 0, ["handover_acknowledge:h-1"] if at_risk else [], at_risk, 8,
        ),
        AGENCY_INBOX.name: (
            pathway, "h-1", hospital, org, "social", None, status, status, requested,
            requested, requested, None, None, None, None, None, 0,
            "handover_acknowledge" if status == "requested" else None,
            due if status == "requested" else None, 1 if status == "requested" else None,
        ),
        DEADLINES.name: (pathway, "handover_acknowledge", "h-1", 1, coordinator, due),
        PARTIES.name: (pathway, org, "receiver", "h-1", True),
        SHARING_BASES.name: (
            pathway, "consent", "c-1", org, "handover", ["care_plan"], opened,
            opened + timedelta(days=365), False,
        ),
    }  # fmt: skip


async def seed_projection_rows(
    conn: Connection,
    *,
    pathways: int,
    now: datetime,
    coordinators: int | None = None,
    organisations: int | None = None,
) -> SeedSummary:
    """Write ``pathways`` synthetic pathways' rows (one handover each) with COPY.

    Args:
        conn: a connection to a migrated database (projections schema present).
        pathways: how many pathways.
        now: the moment deadlines are spread around (two days back to two weeks ahead).
        coordinators: how many coordinators share them (default: 40 pathways each).
        organisations: how many receiving organisations (default: 200 handovers each).
    """
    coordinators = coordinators or max(1, pathways // 40)
    organisations = organisations or max(1, pathways // 200)
    tables: tuple[Table, ...] = (CASELOAD, AGENCY_INBOX, DEADLINES, PARTIES, SHARING_BASES)

    def records(table: Table) -> Iterator[Row]:
        for i in range(pathways):
            yield _pathway_rows(i, coordinators, organisations, now)[table.name]

    for table in tables:
        await conn.copy_records_to_table(
            table.name, schema_name="projections", columns=table.columns, records=records(table)
        )
    await conn.execute("ANALYZE projections.caseload, projections.agency_inbox")
    await conn.execute("ANALYZE projections.deadlines, projections.parties")
    return SeedSummary(
        pathways=pathways,
        handovers=pathways,
        coordinators=coordinators,
        organisations=organisations,
        example_coordinator=coordinator_id(0),
        example_organisation=organisation_id(0),
    )
