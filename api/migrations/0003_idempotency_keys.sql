-- Idempotency keys of POST requests: an agency's retry never acts twice.
-- Why the primary key is (principal, key): keys are chosen by callers, so two callers may pick the
-- same key; the principal is the role, organisation and subject (not the token), so a retry with
-- a rotated token is still recognised. The request hash catches a key reused for another body.
-- Rows are a cache of responses, not history: they may be updated and purged.

CREATE TABLE api.idempotency_keys (
    principal text NOT NULL,
    idempotency_key text NOT NULL,
    request_hash bytea NOT NULL,
    status_code integer,
    response jsonb,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    completed_at timestamptz,
    PRIMARY KEY (principal, idempotency_key)
);
