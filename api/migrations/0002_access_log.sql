-- The access log (NEN 7513 style): who, in which role and organisation, read what about which
-- pathway, when, for which purpose, and whether it was allowed.
-- Why a hash chain: the log must be as tamper-evident as the data it protects. Each entry's hash
-- is sha256(previous hash || canonical encoding of the entry), computed by the API
-- (api/access_log/chain.py) and checked by `pathways audit access-log verify`.
-- Why a head row: appends to one chain must take turns; locking the head row serialises them
-- and holds the last sequence number and hash, so an append is O(1).

CREATE TABLE api.access_log (
    seq bigint PRIMARY KEY CHECK (seq >= 1),
    entry_id uuid NOT NULL UNIQUE,
    recorded_at timestamptz NOT NULL,
    principal_id text NOT NULL,
    role text NOT NULL,
    organisation_id text NOT NULL,
    subject_id text NOT NULL,
    purpose text NOT NULL,
    action text NOT NULL,
    resource text NOT NULL,
    pathway_id text,
    pathway_ids text[] NOT NULL DEFAULT '{}',
    outcome text NOT NULL CHECK (outcome IN ('allowed', 'denied')),
    previous_hash bytea NOT NULL CHECK (octet_length(previous_hash) = 32),
    entry_hash bytea NOT NULL CHECK (octet_length(entry_hash) = 32)
);

-- Why: auditors and the person ask "who read this pathway?" (one pathway, or lists it was in).
CREATE INDEX access_log_pathway_idx ON api.access_log (pathway_id, seq);
CREATE INDEX access_log_pathway_ids_idx ON api.access_log USING gin (pathway_ids);

CREATE TABLE api.access_log_head (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    seq bigint NOT NULL,
    entry_hash bytea NOT NULL
);
INSERT INTO api.access_log_head (seq, entry_hash) VALUES (0, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);

-- Why a trigger: the log is append-only for every role, the owner included (as the event
-- store's log is); a superuser who disables it is caught by verification of the chain.
CREATE FUNCTION api.refuse_rewrite() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'api.% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'PW003',
              HINT = 'The access log is never changed; it only grows.';
END;
$$;

CREATE TRIGGER access_log_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON api.access_log
    FOR EACH STATEMENT EXECUTE FUNCTION api.refuse_rewrite();
