-- The agency inbox (an outbox from the workflow's point of view) and escalation notifications.
-- These are delivery tables, not the system of record: the event store holds what happened.

CREATE SCHEMA IF NOT EXISTS pathways;

-- Why the notice id is the primary key: it is the id of the HandoverRequested event that caused
-- it, so an activity retried after a lost acknowledgement inserts nothing twice.
CREATE TABLE IF NOT EXISTS pathways.handover_inbox (
    notice_id uuid PRIMARY KEY,
    pathway_id text NOT NULL,
    handover_id text NOT NULL,
    from_org text NOT NULL,
    to_org text NOT NULL,
    responsibility text NOT NULL,
    requested_at timestamptz NOT NULL,
    delivered_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Why: an agency reads its inbox newest first.
CREATE INDEX IF NOT EXISTS handover_inbox_to_org_idx
    ON pathways.handover_inbox (to_org, requested_at DESC);

-- Why the notice id is the primary key: the id of the EscalationRaised event (exactly once).
CREATE TABLE IF NOT EXISTS pathways.notifications (
    notice_id uuid PRIMARY KEY,
    pathway_id text NOT NULL,
    recipient_role text NOT NULL CHECK (recipient_role IN ('coordinator', 'supervisor')),
    recipient_id text NOT NULL,
    subject text NOT NULL,
    level integer NOT NULL CHECK (level >= 1),
    kind text,
    raised_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX IF NOT EXISTS notifications_recipient_idx
    ON pathways.notifications (recipient_id, raised_at DESC);
