-- The application role: least privilege as the first layer of append-only enforcement.
-- Why: a compromised or buggy application must not be able to rewrite history. The role
-- pathways_app owns nothing and may only INSERT and SELECT the log and the seals; it may update
-- stream heads, checkpoints and key tombstones, which are not history. Migrations run as the
-- schema owner; the application connects as a login role that is a member of pathways_app
-- (CREATE ROLE pathways_web LOGIN PASSWORD '...' IN ROLE pathways_app), or as the owner with
-- create_pool(dsn, role="pathways_app"), which runs SET ROLE on every pooled connection.
-- Roles are cluster-wide: the role is created only when the migrating user may create roles;
-- otherwise a DBA creates it and the grants below still apply once it exists (re-run migrate
-- after creating it: this file re-grants through eventstore.grant_application_role()).

CREATE FUNCTION eventstore.grant_application_role() RETURNS boolean
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
    GRANT SELECT, INSERT ON eventstore.events, eventstore.seals TO pathways_app;
    GRANT USAGE ON SEQUENCE eventstore.events_position_seq TO pathways_app;
    GRANT SELECT, INSERT, UPDATE ON eventstore.streams, eventstore.subscription_checkpoints,
        eventstore.subject_keys TO pathways_app;
    GRANT SELECT ON eventstore.schema_migrations TO pathways_app;
    GRANT EXECUTE ON FUNCTION eventstore.append_events(text, integer, uuid[], text[], integer[],
        text[], text[], text[], text[], bytea[], boolean) TO pathways_app;
    RETURN true;
END;
$$;

SELECT eventstore.grant_application_role();
