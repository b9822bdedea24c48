-- The application role's rights on the delivery tables (least privilege, eventstore 0009).
-- Why only SELECT and INSERT: a notice is written once by the activity that delivers it (its id
-- is the causing event's id, so a retry inserts nothing) and then only read; nothing in the
-- application changes or removes one.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pathways_app') THEN
        GRANT USAGE ON SCHEMA pathways TO pathways_app;
        GRANT SELECT, INSERT ON pathways.handover_inbox, pathways.notifications TO pathways_app;
    END IF;
END;
$$;
