"""The organisations every deployment starts with, derived from the jurisdiction templates.

Templates describe agency *roles*, not concrete organisations; the demo, the scenarios and the
tests use one concrete organisation per role they drive: ``org-<template>-hospital-1`` (the role
that starts the template's route), ``org-<template>-municipality-1`` and ``-2`` (the role that
takes the first social handover) and ``org-<template>-ips-1`` (the role that takes the first
employment handover). Seeding registers these, so ``make demo`` works on a fresh database; an
operator removes the ones a real deployment does not have (``pathways admin org remove``), and
removal sticks, because a seed never re-activates an organisation.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain import available_templates, load_template
from domain.tracks import Responsibility
from eventstore.connections import Connection


@dataclass(frozen=True)
class SeededOrganisation:
    """One organisation the registry starts with."""

    org_id: str
    display_name: str
    template_id: str
    role: str


def seeded_organisations() -> list[SeededOrganisation]:
    """The demo organisations of every template (newest version of each), in a stable order."""
    seeded: list[SeededOrganisation] = []
    for template_id in sorted({tid for tid, _ in available_templates()}):
        template = load_template(template_id)
        names = {agency.role: agency.name for agency in template.agencies}
        route = sorted(template.route, key=lambda step: step.order)
        social = next(s for s in route if s.responsibility is Responsibility.SOCIAL)
        employment = next(s for s in route if s.responsibility is Responsibility.EMPLOYMENT)
        for kind, number, role in (
            ("hospital", 1, route[0].from_role),
            ("municipality", 1, social.to_role),
            ("municipality", 2, social.to_role),
            ("ips", 1, employment.to_role),
        ):
            seeded.append(
                SeededOrganisation(
                    org_id=f"org-{template_id}-{kind}-{number}",
                    display_name=f"{names[role]} {number} ({template.country})",
                    template_id=template_id,
                    role=role,
                )
            )
    return seeded


async def seed_organisations(conn: Connection) -> int:
    """Register the seeded organisations that were never registered; returns how many were new.

    Idempotent, and safe beside other processes starting at once (``ON CONFLICT DO NOTHING``).
    """
    seeded = seeded_organisations()
    status = await conn.execute(
        """
        INSERT INTO api.organisations (org_id, display_name, template_id, roles)
        SELECT o, n, t, ARRAY[r] FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
            AS s(o, n, t, r)
        ON CONFLICT (org_id) DO NOTHING
        """,
        [s.org_id for s in seeded],
        [s.display_name for s in seeded],
        [s.template_id for s in seeded],
        [s.role for s in seeded],
    )
    return int(status.split()[-1])
