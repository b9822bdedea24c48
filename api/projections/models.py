"""What the projection queries return: frozen models holding pseudonymous ids and codes only.

No personal free text appears here; the API shows a person's timeline from the event store.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CaseloadRow(_Row):
    """One pathway on a coordinator's caseload.

    ``responsible`` maps each *active* track (clinical, social, employment, income) to its one
    responsible organisation. ``cursor`` is what to pass as ``after`` for the next page.
    """

    pathway_id: str
    coordinator_id: str | None
    coordinator_org: str | None
    template_id: str | None
    status: str
    stage: str
    responsible: dict[str, str]
    opened_at: datetime | None
    last_event_at: datetime
    open_gaps: int
    next_deadline_at: datetime | None
    next_deadline_kind: str | None
    overdue_steps: int
    at_risk: bool
    version: int
    stale: bool = False
    """True while the pathway's newest events could not be projected (it is quarantined): this
    row shows it as it was before them."""
    cursor: str


class DeadlineItem(_Row):
    """One running clock of a pathway: which step, about what, due when, escalating to whom."""

    kind: str
    subject: str
    due_at: datetime
    escalation_level: int
    overdue: bool
    """True when ``due_at`` lies at or before the ``now`` the query was asked with."""


class AtRiskRow(_Row):
    """A pathway at risk of dropping out, and why (``reasons`` in a fixed vocabulary).

    Reasons: ``open_gap``, ``overdue_step`` (a deadline was missed and the step still has not
    happened), ``unresolved_decline`` (a declined or failed handover awaits redirect or
    escalation), ``deadline_passed`` (due at or before ``now``, miss not yet recorded) and
    ``deadline_soon`` (due within the horizon).
    """

    pathway_id: str
    coordinator_id: str
    status: str
    stage: str
    open_gaps: int
    overdue_steps: int
    overdue: list[str]
    """Deadline keys ``kind:subject`` whose miss was recorded and whose step is still due."""
    deadlines: list[DeadlineItem]
    """Running clocks due at or before ``now + horizon``, earliest first."""
    reasons: list[str]
    stale: bool = False
    """True while the pathway's newest events could not be projected (it is quarantined): this
    row shows it as it was before them."""


class InboxRow(_Row):
    """One handover addressed to an organisation.

    ``status`` is the domain's handover status (requested, acknowledged, accepted,
    awaiting_meeting, completed, declined, failed, redirected, withdrawn, on_hold);
    ``fhir_task_status`` the matching FHIR Task status. ``next_step_*`` is the earliest running
    clock of this handover (``None`` when it owes no step). ``shared_under`` is ``"consent"`` or
    ``"legal_basis"`` when sharing with the receiving organisation is covered at the moment of
    the query (the database clock), else ``None``.
    """

    handover_id: str
    pathway_id: str
    from_org: str
    to_org: str
    responsibility: str
    route_id: str | None
    status: str
    fhir_task_status: str
    requested_at: datetime
    acknowledged_at: datetime | None
    accepted_at: datetime | None
    first_contact_at: datetime | None
    completed_at: datetime | None
    decline_reason: str | None
    redirected_to: str | None
    next_step_kind: str | None
    next_step_due_at: datetime | None
    next_step_escalation_level: int | None
    consent_covered: bool
    shared_under: str | None
    stale: bool = False
    """True while the pathway's newest events could not be projected (it is quarantined): this
    row shows it as it was before them."""
    cursor: str


class PartyRow(_Row):
    """An organisation's part in a pathway, with what covers sharing with it.

    ``role``: ``coordinator`` (the coordinator's organisation), ``responsible`` (for track
    ``ref``), ``sender`` or ``receiver`` (of handover ``ref``). ``current`` is False for parts
    that ended (a declined or redirected receiver, the sender of a completed handover, any part
    of a closed pathway). ``consent_expires_at`` is the latest expiry of the organisation's
    granted, not withdrawn consents in this pathway; ``legal_basis`` whether a legal basis for
    sharing with it is recorded.
    """

    pathway_id: str
    org_id: str
    role: str
    ref: str
    current: bool
    consent_expires_at: datetime | None
    legal_basis: bool


class DurationFigure(_Row):
    """Summary of a set of durations, in seconds (``None`` when the set is empty)."""

    count: int
    median_seconds: float | None
    mean_seconds: float | None
    max_seconds: float | None


class OutcomeFigures(_Row):
    """The outcome figures of issue #5, over every pathway in the projections.

    - ``discharge_to_first_municipal_contact``: per discharge, time until the first contact of a
      social-track (municipal) service at or after it; ``discharges_without_municipal_contact``
      counts discharges with none yet.
    - ``gap_durations``: closed support gaps (wall-clock, pauses included); ``open_gaps``.
    - ``handovers_total`` and ``handovers_overdue`` (at least one step deadline missed).
    - IPS: enrolments, first employer contact within 30 days, not (yet) within 30 days, and
      ``ips_time_to_first_employer_contact``.
    - Jobs: starts, people with a job start, ended jobs' tenure, ``jobs_ongoing`` and their
      tenure so far (measured at the database clock).
    """

    pathways: int
    discharges: int
    discharge_to_first_municipal_contact: DurationFigure
    discharges_without_municipal_contact: int
    gap_durations: DurationFigure
    open_gaps: int
    handovers_total: int
    handovers_overdue: int
    ips_enrolments: int
    ips_employer_contact_within_30_days: int
    ips_employer_contact_later_or_not_yet: int
    ips_time_to_first_employer_contact: DurationFigure
    job_starts: int
    people_with_job_start: int
    jobs_ended: int
    ended_job_tenure: DurationFigure
    jobs_ongoing: int
    ongoing_job_tenure: DurationFigure


class RebuildReport(_Row):
    """What a rebuild did: events re-projected, pathways now in the projections, seconds taken."""

    events: int
    pathways: int
    seconds: float
    quarantined: int = 0
    """Pathways set aside because their events could not be held (see ``quarantine``)."""


class RetryReport(_Row):
    """What a retry of the quarantine did: pathways projected again, and those still set aside."""

    resolved: list[str]
    still_quarantined: list[str]
