-- Bearer tokens of the HTTP API (issued by `pathways admin token create`).
-- Why only a hash: a dump of this table must not let anyone call the API. Tokens are 256-bit
-- random strings, so an unsalted SHA-256 is enough to make the stored value useless (no
-- dictionary to try); the plaintext is shown once, at creation, and never stored.

CREATE SCHEMA IF NOT EXISTS api;

CREATE TABLE api.tokens (
    token_id text PRIMARY KEY,
    token_hash bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    role text NOT NULL CHECK (role IN ('agency', 'caseworker', 'auditor', 'admin')),
    organisation_id text NOT NULL,
    subject_id text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    -- Why: a case worker's token must carry the pseudonymous coordinator id it acts as.
    CHECK (role <> 'caseworker' OR subject_id <> '')
);
