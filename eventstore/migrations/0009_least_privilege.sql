-- Least privilege, second step: the application role appends only through the store's functions.
-- Why: with INSERT on eventstore.events, a compromised application (or anyone holding its
-- login) could insert a correctly chained event with any recorded_at it likes, or move a
-- stream's head; the chain would verify. Without it, every event goes through a function that
-- draws the position, takes the time from the database clock and extends the chain itself.
-- The functions run with their owner's rights (SECURITY DEFINER), the schema owner's; their
-- search_path is pinned so that no object the caller creates (a temporary table or function
-- named like one they use) can stand in for the store's own.

-- Why these two first: they are the batch path (0003) and the single-event path (0008), and
-- every rule of an append (head lock, version check, replay, chain, recorded_at) lives in them.
ALTER FUNCTION eventstore.append_events(text, integer, uuid[], text[], integer[], text[], text[],
        text[], text[], bytea[], boolean)
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION eventstore.append_event(text, integer, uuid, text, integer, text, text, text,
        text[], bytea, boolean)
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

-- The pooled single-event append (postgres_store.py), until now a plain statement that inserted
-- into the log itself, as a function: one UPDATE of the head and one INSERT in a single
-- statement, the same formula and invariants as 0008. It returns no row when the stream does
-- not exist, is not at the expected version or the content hash is malformed, and an event id
-- already recorded fails it on events_event_id_key; the client then hands the append to
-- append_events, as before. recorded_at is clock_timestamp() here, never the caller's.
-- Why PL/pgSQL rather than SQL: PL/pgSQL keeps the statement's plan for the session, a SQL
-- function would plan it again on every call.
CREATE FUNCTION eventstore.append_event_to_head(
    p_stream_id text,
    p_expected_version integer,
    p_event_id uuid,
    p_type text,
    p_schema_version integer,
    p_payload text,
    p_metadata text,
    p_subject_id text,
    p_personal_fields text[],
    p_content_hash bytea
) RETURNS TABLE (event_position bigint, event_version integer)
LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN QUERY
    WITH drawn AS (
        SELECT nextval('eventstore.events_position_seq') AS position,
               clock_timestamp() AS recorded_at
    ), head AS (
        UPDATE eventstore.streams s
        SET version = s.version + 1,
            last_hash = sha256(s.last_hash || int8send(s.version + 1::bigint)
                               || int8send(d.position)
                               || int8send((extract(epoch FROM d.recorded_at) * 1000000)::bigint)
                               || p_content_hash),
            updated_at = d.recorded_at
        FROM drawn d
        WHERE s.stream_id = p_stream_id
          AND (p_expected_version IS NULL
               OR (p_expected_version = -1 AND s.version > 0)
               OR s.version = p_expected_version)
          AND octet_length(p_content_hash) = 32
        RETURNING s.version, s.last_hash, d.position, d.recorded_at
    )
    INSERT INTO eventstore.events AS e (position, transaction_id, stream_id, version, event_id,
                                        type, schema_version, payload, metadata, subject_id,
                                        personal_fields, recorded_at, hash)
    SELECT head.position, pg_current_xact_id(), p_stream_id, head.version, p_event_id, p_type,
           p_schema_version, p_payload::json, p_metadata::json, p_subject_id,
           coalesce(p_personal_fields, '{}'), head.recorded_at, head.last_hash
    FROM head
    RETURNING e.position, e.version;
END;
$$;

-- Why revoke from PUBLIC: every new function is executable by every role of the cluster; a
-- SECURITY DEFINER append must be callable only by the application role (and the owner).
REVOKE EXECUTE ON FUNCTION eventstore.append_events(text, integer, uuid[], text[], integer[],
    text[], text[], text[], text[], bytea[], boolean) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION eventstore.append_event(text, integer, uuid, text, integer, text,
    text, text, text[], bytea, boolean) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION eventstore.append_event_to_head(text, integer, uuid, text, integer,
    text, text, text, text[], bytea) FROM PUBLIC;

-- The grants of the application role, re-created so that a DBA who creates the role later still
-- gets exactly these from one call (see 0007). Compared with 0008: no INSERT on the log, no
-- INSERT or UPDATE on stream heads, no use of the position sequence (only the functions draw
-- positions), EXECUTE on the three append functions. The seals and subject keys keep their
-- grants (they change with the seal signatures and key wrapping, not here).
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
    -- History is read freely and written only through the append functions below.
    GRANT SELECT ON eventstore.events, eventstore.streams TO pathways_app;
    REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON eventstore.events FROM pathways_app;
    REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON eventstore.streams FROM pathways_app;
    REVOKE USAGE, UPDATE ON SEQUENCE eventstore.events_position_seq FROM pathways_app;
    GRANT SELECT, INSERT ON eventstore.seals TO pathways_app;
    GRANT SELECT, INSERT, UPDATE ON eventstore.subscription_checkpoints,
        eventstore.subject_keys TO pathways_app;
    GRANT SELECT ON eventstore.schema_migrations TO pathways_app;
    GRANT EXECUTE ON FUNCTION eventstore.append_events(text, integer, uuid[], text[], integer[],
        text[], text[], text[], text[], bytea[], boolean) TO pathways_app;
    GRANT EXECUTE ON FUNCTION eventstore.append_event(text, integer, uuid, text, integer, text,
        text, text, text[], bytea, boolean) TO pathways_app;
    GRANT EXECUTE ON FUNCTION eventstore.append_event_to_head(text, integer, uuid, text, integer,
        text, text, text, text[], bytea) TO pathways_app;
    RETURN true;
END;
$$;

SELECT eventstore.grant_application_role();
