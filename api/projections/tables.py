"""The projection tables: their columns in write order and the key that orders a snapshot.

One place names every table, so the projector's writes, ``rebuild``'s reset and ``snapshot``'s
comparison can never disagree about which tables exist.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Table:
    """A projection table keyed (first) by pathway id."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]

    @property
    def qualified(self) -> str:
        """The schema-qualified name."""
        return f"projections.{self.name}"


CASELOAD = Table(
    "caseload",
    (
        "pathway_id",
        "coordinator_id",
        "coordinator_org",
        "template_id",
        "template_version",
        "status",
        "stage",
        "responsible_clinical",
        "responsible_social",
        "responsible_employment",
        "responsible_income",
        "opened_at",
        "last_event_at",
        "open_gaps",
        "unresolved_declines",
        "next_deadline_at",
        "next_deadline_kind",
        "overdue_steps",
        "overdue",
        "at_risk",
        "version",
    ),
    ("pathway_id",),
)
AGENCY_INBOX = Table(
    "agency_inbox",
    (
        "pathway_id",
        "handover_id",
        "from_org",
        "to_org",
        "responsibility",
        "route_id",
        "status",
        "fhir_task_status",
        "requested_at",
        "acknowledged_at",
        "accepted_at",
        "first_contact_at",
        "completed_at",
        "decline_reason",
        "redirected_from",
        "redirected_to",
        "escalation_level",
        "next_step_kind",
        "next_step_due_at",
        "next_step_escalation_level",
    ),
    ("pathway_id", "handover_id"),
)
PARTIES = Table(
    "parties",
    ("pathway_id", "org_id", "role", "ref", "current"),
    ("pathway_id", "org_id", "role", "ref"),
)
SHARING_BASES = Table(
    "sharing_bases",
    (
        "pathway_id",
        "kind",
        "basis_id",
        "recipient_org",
        "purpose",
        "data_categories",
        "granted_at",
        "expires_at",
        "withdrawn",
    ),
    ("pathway_id", "kind", "basis_id"),
)
DEADLINES = Table(
    "deadlines",
    ("pathway_id", "kind", "subject", "escalation_level", "coordinator_id", "due_at"),
    ("pathway_id", "kind", "subject"),
)
OUTCOMES = Table(
    "outcomes",
    (
        "pathway_id",
        "template_id",
        "opened_at",
        "ips_enrolled_at",
        "first_employer_contact_at",
        "handovers_total",
        "handovers_overdue",
    ),
    ("pathway_id",),
)
OUTCOME_DISCHARGES = Table(
    "outcome_discharges",
    ("pathway_id", "discharge_id", "discharged_at", "first_municipal_contact_at"),
    ("pathway_id", "discharge_id"),
)
OUTCOME_GAPS = Table(
    "outcome_gaps",
    ("pathway_id", "gap_id", "trigger", "track", "opened_at", "closed_at", "duration"),
    ("pathway_id", "gap_id"),
)
OUTCOME_JOBS = Table(
    "outcome_jobs",
    (
        "pathway_id",
        "job_id",
        "employer_id",
        "contract_type",
        "competitive",
        "hours_per_week",
        "started_at",
        "ended_at",
    ),
    ("pathway_id", "job_id"),
)

DERIVED_TABLES: tuple[Table, ...] = (
    CASELOAD,
    AGENCY_INBOX,
    PARTIES,
    SHARING_BASES,
    DEADLINES,
    OUTCOMES,
    OUTCOME_DISCHARGES,
    OUTCOME_GAPS,
    OUTCOME_JOBS,
)
"""Tables whose rows are a pure function of one pathway's folded state (see ``rows.py``)."""

PATHWAY_STATE = Table(
    "pathway_state",
    (
        "pathway_id",
        "stream_id",
        "stream_version",
        "template_id",
        "template_version",
        "state",
        "facts",
    ),
    ("pathway_id",),
)
"""The projector's working memory (state and facts are stored as jsonb)."""

ALL_TABLES: tuple[Table, ...] = (PATHWAY_STATE, *DERIVED_TABLES)
