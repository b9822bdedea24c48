-- Read models fed by the event store's subscriptions (issue #5). They are derived data, not
-- history: every row can be dropped and rebuilt from the log (`pathways projections rebuild`),
-- so these tables may be updated and deleted, unlike eventstore.events.
-- Every id is a pseudonymous domain id; no personal free text is stored here.

CREATE SCHEMA IF NOT EXISTS projections;

-- The projector's working memory: the folded domain state of each pathway and the stream version
-- it reflects. Why the version: delivery is at least once, so an event whose version is not
-- above this one was applied already and is skipped; that makes every replay a no-op.
CREATE TABLE projections.pathway_state (
    pathway_id text PRIMARY KEY,
    stream_id text NOT NULL UNIQUE,
    stream_version integer NOT NULL CHECK (stream_version >= 1),
    template_id text,
    template_version integer,
    state jsonb NOT NULL,
    facts jsonb NOT NULL
);

-- One row per pathway, for the coordinator's caseload.
CREATE TABLE projections.caseload (
    pathway_id text PRIMARY KEY,
    coordinator_id text,
    coordinator_org text,
    template_id text,
    template_version integer,
    status text NOT NULL,
    stage text NOT NULL,
    responsible_clinical text,
    responsible_social text,
    responsible_employment text,
    responsible_income text,
    opened_at timestamptz,
    last_event_at timestamptz NOT NULL,
    open_gaps integer NOT NULL,
    unresolved_declines integer NOT NULL,
    next_deadline_at timestamptz,
    next_deadline_kind text,
    overdue_steps integer NOT NULL,
    overdue text[] NOT NULL,
    at_risk boolean NOT NULL,
    version integer NOT NULL
);

-- Why: the caseload is read per coordinator, a page at a time in pathway id order (keyset).
CREATE INDEX caseload_coordinator_idx ON projections.caseload (coordinator_id, pathway_id);
-- Why partial: the at-risk list reads only the few flagged rows of one coordinator.
CREATE INDEX caseload_at_risk_idx ON projections.caseload (coordinator_id) WHERE at_risk;

-- One row per handover. Why (pathway_id, handover_id): handover ids are unique only inside
-- one pathway.
CREATE TABLE projections.agency_inbox (
    pathway_id text NOT NULL,
    handover_id text NOT NULL,
    from_org text NOT NULL,
    to_org text NOT NULL,
    responsibility text NOT NULL,
    route_id text,
    status text NOT NULL,
    fhir_task_status text NOT NULL,
    requested_at timestamptz NOT NULL,
    acknowledged_at timestamptz,
    accepted_at timestamptz,
    first_contact_at timestamptz,
    completed_at timestamptz,
    decline_reason text,
    redirected_from text,
    redirected_to text,
    escalation_level integer NOT NULL,
    next_step_kind text,
    next_step_due_at timestamptz,
    next_step_escalation_level integer,
    PRIMARY KEY (pathway_id, handover_id)
);

-- Why: an agency reads its inbox newest first, a page at a time, optionally by status.
CREATE INDEX agency_inbox_to_org_idx
    ON projections.agency_inbox (to_org, requested_at DESC, pathway_id, handover_id);
CREATE INDEX agency_inbox_to_org_status_idx
    ON projections.agency_inbox (to_org, status, requested_at DESC, pathway_id, handover_id);

-- Which organisations take part in which pathway, for authorisation.
CREATE TABLE projections.parties (
    pathway_id text NOT NULL,
    org_id text NOT NULL,
    role text NOT NULL CHECK (role IN ('coordinator', 'responsible', 'sender', 'receiver')),
    ref text NOT NULL,
    current boolean NOT NULL,
    PRIMARY KEY (pathway_id, org_id, role, ref)
);

-- Why: "may this agency see this pathway?" is asked per (organisation, pathway).
CREATE INDEX parties_org_idx ON projections.parties (org_id, pathway_id);

-- Consents and legal bases per pathway. Why not a boolean "covered": a consent expires by the
-- clock, so coverage is decided at query time with the caller's `now`.
CREATE TABLE projections.sharing_bases (
    pathway_id text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('consent', 'legal_basis')),
    basis_id text NOT NULL,
    recipient_org text NOT NULL,
    purpose text NOT NULL,
    data_categories text[] NOT NULL,
    granted_at timestamptz NOT NULL,
    expires_at timestamptz,
    withdrawn boolean NOT NULL,
    PRIMARY KEY (pathway_id, kind, basis_id)
);

CREATE INDEX sharing_bases_recipient_idx ON projections.sharing_bases (pathway_id, recipient_org);

-- Every running clock of every pathway (the domain's next_deadlines). Why stored with due times:
-- "due within the next 7 days" is then a range query with `now` as a parameter.
CREATE TABLE projections.deadlines (
    pathway_id text NOT NULL,
    kind text NOT NULL,
    subject text NOT NULL,
    escalation_level integer NOT NULL,
    coordinator_id text,
    due_at timestamptz NOT NULL,
    PRIMARY KEY (pathway_id, kind, subject)
);

-- Why: the at-risk list asks for one coordinator's clocks due before a moment.
CREATE INDEX deadlines_coordinator_due_idx ON projections.deadlines (coordinator_id, due_at);

-- The times the outcome figures are computed from.
CREATE TABLE projections.outcomes (
    pathway_id text PRIMARY KEY,
    template_id text,
    opened_at timestamptz,
    ips_enrolled_at timestamptz,
    first_employer_contact_at timestamptz,
    handovers_total integer NOT NULL,
    handovers_overdue integer NOT NULL
);

CREATE TABLE projections.outcome_discharges (
    pathway_id text NOT NULL,
    discharge_id text NOT NULL,
    discharged_at timestamptz NOT NULL,
    first_municipal_contact_at timestamptz,
    PRIMARY KEY (pathway_id, discharge_id)
);

CREATE TABLE projections.outcome_gaps (
    pathway_id text NOT NULL,
    gap_id text NOT NULL,
    trigger text NOT NULL,
    track text,
    opened_at timestamptz NOT NULL,
    closed_at timestamptz,
    duration interval,
    PRIMARY KEY (pathway_id, gap_id)
);

CREATE TABLE projections.outcome_jobs (
    pathway_id text NOT NULL,
    job_id text NOT NULL,
    employer_id text NOT NULL,
    contract_type text NOT NULL,
    competitive boolean NOT NULL,
    hours_per_week double precision NOT NULL,
    started_at timestamptz NOT NULL,
    ended_at timestamptz,
    PRIMARY KEY (pathway_id, job_id)
);

-- Least privilege (see eventstore 0007): the application projects and reads these tables.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pathways_app') THEN
        GRANT USAGE ON SCHEMA projections TO pathways_app;
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA projections TO pathways_app;
    END IF;
END;
$$;
