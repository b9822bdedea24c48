-- The application role's grants, restated once for everything 0009-0011 added.
-- Why: eventstore.grant_application_role() is what a DBA runs after creating pathways_app by
-- hand (see 0007), and it must give exactly the privileges the migrations give, no more. Its
-- 0009 version still granted INSERT on the seals, which 0011 revoked (seals go through
-- eventstore.insert_seal, so a compromised application cannot place a seal out of sequence),
-- and it did not know the key hierarchy's tables of 0010. Re-running it would have re-opened
-- the seals and left rotation without its grants.

CREATE OR REPLACE FUNCTION eventstore.grant_application_role() RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pathways_app') THEN
        IF NOT EXISTS (SELECT FROM pg_roles
                       WHERE rolname = current_user AND (rolsuper OR rolcreaterole)) THEN
            RAISE NOTICE 'role pathways_app not created: % may not create roles', current_user;
            RETURN false;
        END IF;
        BEGIN
            CREATE ROLE pathways_app NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- another database's migration created it at the same moment
        END;
    END IF;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO pathways_app', current_database());
    GRANT USAGE ON SCHEMA eventstore TO pathways_app;
    -- History is read freely and written only through the append and seal functions.
    GRANT SELECT ON eventstore.events, eventstore.streams, eventstore.seals TO pathways_app;
    REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON eventstore.events FROM pathways_app;
    REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON eventstore.streams FROM pathways_app;
    REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON eventstore.seals FROM pathways_app;
    REVOKE USAGE, UPDATE ON SEQUENCE eventstore.events_position_seq FROM pathways_app;
    -- Checkpoints and data keys are not history: subscriptions move, erasure and rotation update.
    GRANT SELECT, INSERT, UPDATE ON eventstore.subscription_checkpoints,
        eventstore.subject_keys TO pathways_app;
    GRANT SELECT, INSERT, UPDATE ON eventstore.key_encryption_keys TO pathways_app;
    GRANT SELECT, INSERT ON eventstore.subject_key_wrappings TO pathways_app;
    GRANT SELECT ON eventstore.schema_migrations TO pathways_app;
    GRANT EXECUTE ON FUNCTION eventstore.append_events(text, integer, uuid[], text[], integer[],
        text[], text[], text[], text[], bytea[], boolean) TO pathways_app;
    GRANT EXECUTE ON FUNCTION eventstore.append_event(text, integer, uuid, text, integer, text,
        text, text, text[], bytea, boolean) TO pathways_app;
    GRANT EXECUTE ON FUNCTION eventstore.append_event_to_head(text, integer, uuid, text, integer,
        text, text, text, text[], bytea) TO pathways_app;
    GRANT EXECUTE ON FUNCTION eventstore.insert_seal(bigint, xid8, bigint, bigint, bytea, bytea,
        bytea, text) TO pathways_app;
    RETURN true;
END;
$$;

SELECT eventstore.grant_application_role();
