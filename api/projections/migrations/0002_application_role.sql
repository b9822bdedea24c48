-- The application role's rights on the read models (least privilege, eventstore 0009).
-- Why SELECT, INSERT, UPDATE and DELETE: projections are derived data, not history; the API's
-- projector rewrites a pathway's rows on every event and `pathways projections rebuild`
-- deletes and refills them all. Not TRUNCATE (rebuild deletes inside its transaction, so
-- readers keep the old rows until it commits), and nothing outside this schema. A later
-- migration that adds a projection table grants on it the same way.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pathways_app') THEN
        GRANT USAGE ON SCHEMA projections TO pathways_app;
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA projections TO pathways_app;
    END IF;
END;
$$;
