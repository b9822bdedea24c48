-- The event log and its stream heads, in a schema of their own so that privileges can be granted
-- object by object and the application role owns nothing (see 0007).

CREATE SCHEMA IF NOT EXISTS eventstore;

-- Why a stand-alone sequence instead of an identity column: the append function draws positions
-- itself, before inserting, so that each event's hash commits to its own global position.
-- Sequence values are not transactional (a rolled-back append leaves a hole), so positions are
-- unique but neither gap-free nor in commit order; readers order by transaction id (see 0003).
CREATE SEQUENCE eventstore.events_position_seq AS bigint;

-- One row per stream: the row lock that serialises writers of one stream, and the stream's head.
-- Why: optimistic concurrency ("the stream is at version N") and the hash chain ("the previous
-- event's hash") both need the head to stay put from the check to the insert; locking this row
-- gives that without any lock wider than the stream. verify() checks it against the events too,
-- which is how a deleted *last* event is caught even before a seal covers it.
CREATE TABLE eventstore.streams (
    stream_id text PRIMARY KEY
        CHECK (stream_id <> '' AND length(stream_id) <= 255),
    version integer NOT NULL CHECK (version >= 0),
    last_hash bytea NOT NULL CHECK (octet_length(last_hash) = 32),
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE eventstore.events (
    position bigint PRIMARY KEY DEFAULT nextval('eventstore.events_position_seq'),
    -- Why: the id of the inserting transaction (xid8 never wraps around) lets readers of the
    -- global log take only events of transactions older than the oldest one still running, so
    -- an event that commits late can never land behind a reader's checkpoint.
    transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
    stream_id text NOT NULL,
    version integer NOT NULL CHECK (version >= 1),
    event_id uuid NOT NULL,
    type text NOT NULL CHECK (type <> ''),
    schema_version integer NOT NULL CHECK (schema_version >= 1),
    -- Why json and not jsonb: json keeps the exact text that was hashed, so verify() rehashes
    -- the stored bytes instead of trusting a re-serialisation.
    payload json NOT NULL,
    metadata json NOT NULL,
    subject_id text,
    personal_fields text[] NOT NULL DEFAULT '{}',
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- sha256(previous event's hash || version || position || recorded_at || content hash).
    hash bytea NOT NULL CHECK (octet_length(hash) = 32),
    -- Why: one event per (stream, version) is the optimistic-concurrency invariant; it holds
    -- even for a superuser with triggers disabled.
    CONSTRAINT events_stream_version_key UNIQUE (stream_id, version),
    -- Why: the caller-supplied event id is the idempotency key of appends.
    CONSTRAINT events_event_id_key UNIQUE (event_id),
    CONSTRAINT events_personal_needs_subject
        CHECK (cardinality(personal_fields) = 0 OR subject_id IS NOT NULL)
);

ALTER SEQUENCE eventstore.events_position_seq OWNED BY eventstore.events.position;

-- Why: the global read order is (transaction_id, position); readers page through it by keyset.
CREATE INDEX events_commit_order_idx ON eventstore.events (transaction_id, position);

-- Why: erasure finds the streams that carry a subject's personal data.
CREATE INDEX events_subject_idx ON eventstore.events (subject_id) WHERE subject_id IS NOT NULL;
