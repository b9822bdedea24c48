-- Least privilege for the application role (see eventstore 0007): the access log may only be
-- read and appended to; tokens, the chain head and idempotency keys may be updated.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pathways_app') THEN
        GRANT USAGE ON SCHEMA api TO pathways_app;
        GRANT SELECT, INSERT ON api.access_log TO pathways_app;
        GRANT SELECT, UPDATE ON api.access_log_head TO pathways_app;
        GRANT SELECT, INSERT, UPDATE ON api.tokens TO pathways_app;
        GRANT SELECT, INSERT, UPDATE, DELETE ON api.idempotency_keys TO pathways_app;
    END IF;
END;
$$;
