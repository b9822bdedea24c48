-- A fast path for the most common append: one event to an existing stream.
-- Why: a single-event append through append_events (0003) costs about three times the server
-- time of a bare INSERT (array unpacking, a separate head lock, several statements). Here, when
-- the event id is new and the stream exists, one UPDATE locks the head, checks the expected
-- version and extends the hash chain at once, and one INSERT stores the event. Every other case
-- (new stream, replay, wrong version, malformed call) is handed to append_events unchanged, so
-- the rules and error codes stay in one place.
--
-- The same invariants hold:
-- * one winner per version: the head row is locked by the UPDATE; a concurrent writer waits,
--   and its UPDATE re-checks the version against the committed head (READ COMMITTED re-check);
-- * idempotency: an id already recorded goes to append_events, which locks the head first and
--   compares content. A retry racing its original either fails the version re-check (and is
--   then answered by append_events from the original's rows) or, with expected version ANY,
--   loses on events_event_id_key, which the client retries once (postgres_store.py);
-- * the chain: sha256(previous hash || version || position || recorded_at micros || content
--   hash), the same formula as 0003, computed from the head's last hash inside the UPDATE.

CREATE FUNCTION eventstore.append_event(
    p_stream_id text,
    p_expected_version integer,
    p_event_id uuid,
    p_type text,
    p_schema_version integer,
    p_payload text,
    p_metadata text,
    p_subject_id text,
    p_personal_fields text[],
    p_content_hash bytea,
    p_notify boolean,
    OUT event_position bigint,
    OUT event_version integer
)
LANGUAGE plpgsql
AS $$
DECLARE
    v_recorded_at timestamptz := clock_timestamp();
    v_hash bytea;
BEGIN
    IF p_expected_version IS DISTINCT FROM 0
       AND octet_length(p_content_hash) = 32
       AND NOT EXISTS (SELECT FROM eventstore.events e WHERE e.event_id = p_event_id) THEN
        event_position := nextval('eventstore.events_position_seq');
        UPDATE eventstore.streams s
        SET version = s.version + 1,
            last_hash = sha256(s.last_hash || int8send(s.version + 1::bigint)
                               || int8send(event_position)
                               || int8send((extract(epoch FROM v_recorded_at) * 1000000)::bigint)
                               || p_content_hash),
            updated_at = v_recorded_at
        WHERE s.stream_id = p_stream_id
          AND (p_expected_version IS NULL
               OR (p_expected_version = -1 AND s.version > 0)
               OR s.version = p_expected_version)
        RETURNING s.version, s.last_hash INTO event_version, v_hash;
        IF FOUND THEN
            INSERT INTO eventstore.events (position, transaction_id, stream_id, version, event_id,
                                           type, schema_version, payload, metadata, subject_id,
                                           personal_fields, recorded_at, hash)
            VALUES (event_position, pg_current_xact_id(), p_stream_id, event_version, p_event_id,
                    p_type, p_schema_version, p_payload::json, p_metadata::json, p_subject_id,
                    coalesce(p_personal_fields, '{}'), v_recorded_at, v_hash);
            IF p_notify THEN
                PERFORM pg_notify('eventstore_appended', '');
            END IF;
            RETURN;
        END IF;
        -- The drawn position is left unused: positions are unique, not gap-free (0001).
    END IF;
    SELECT a.event_position, a.event_version INTO event_position, event_version
    FROM eventstore.append_events(
        p_stream_id, p_expected_version, ARRAY[p_event_id], ARRAY[p_type],
        ARRAY[p_schema_version], ARRAY[p_payload], ARRAY[p_metadata], ARRAY[p_subject_id],
        ARRAY[to_json(coalesce(p_personal_fields, '{}'))::text], ARRAY[p_content_hash], p_notify
    ) a;
END;
$$;

-- The application role may call the fast path too; the grant function is re-created so that a
-- DBA who creates the role later still gets every grant from one call.
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
    GRANT SELECT, INSERT ON eventstore.events, eventstore.seals TO pathways_app;
    GRANT USAGE ON SEQUENCE eventstore.events_position_seq TO pathways_app;
    GRANT SELECT, INSERT, UPDATE ON eventstore.streams, eventstore.subscription_checkpoints,
        eventstore.subject_keys TO pathways_app;
    GRANT SELECT ON eventstore.schema_migrations TO pathways_app;
    GRANT EXECUTE ON FUNCTION eventstore.append_events(text, integer, uuid[], text[], integer[],
        text[], text[], text[], text[], bytea[], boolean) TO pathways_app;
    GRANT EXECUTE ON FUNCTION eventstore.append_event(text, integer, uuid, text, integer, text,
        text, text, text[], bytea, boolean) TO pathways_app;
    RETURN true;
END;
$$;

SELECT eventstore.grant_application_role();
