-- Quarantined pathways: events the projector could not hold, kept aside instead of retried forever.
-- Why: one value that a projection table cannot store (a date beyond PostgreSQL's range, a NUL
-- character, a payload an older model refuses) used to fail every batch that carried it, so
-- the subscription restarted once a second and no later event reached anyone's caseload or
-- inbox. The projector now sets that pathway aside here (its rows stay as they were, marked
-- stale where shown) and every other pathway keeps flowing. A row is resolved when a retry
-- (`pathways projections retry`) or a rebuild projects the pathway's whole stream again.

CREATE TABLE projections.quarantine (
    pathway_id text PRIMARY KEY,
    stream_id text NOT NULL,
    -- The first event of the pathway the projector could not apply, and its place in the log.
    event_id uuid NOT NULL,
    event_type text NOT NULL,
    stream_version integer NOT NULL,
    position bigint NOT NULL,
    -- The error's class and SQLSTATE only: messages may quote event content (personal data).
    reason text NOT NULL,
    attempts integer NOT NULL DEFAULT 1,
    first_failed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    last_failed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    resolved_at timestamptz
);

-- Why partial: the projector asks for the open quarantine of each batch's pathways.
CREATE INDEX quarantine_open ON projections.quarantine (pathway_id) WHERE resolved_at IS NULL;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pathways_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON projections.quarantine TO pathways_app;
    END IF;
END;
$$;
