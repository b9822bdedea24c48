-- Append in one round trip: lock the stream head, recognise replays, check the expected version,
-- chain the hashes, insert, bump the head, and wake subscribers.
--
-- p_expected_version: NULL = any; -1 = the stream must exist; 0 = the stream must not exist;
-- n > 0 = the stream's last version must be n.
-- Errors use their own SQLSTATEs so the client maps them without parsing messages:
--   PW001 wrong expected version (DETAIL = the actual version)
--   PW002 event id already recorded with other content (DETAIL = the event id)
--   PW004 malformed call (arrays of different lengths, empty batch)

CREATE FUNCTION eventstore.append_events(
    p_stream_id text,
    p_expected_version integer,
    p_event_ids uuid[],
    p_types text[],
    p_schema_versions integer[],
    p_payloads text[],
    p_metadata text[],
    p_subject_ids text[],
    p_personal_fields text[],
    p_content_hashes bytea[],
    p_notify boolean DEFAULT true
) RETURNS TABLE (event_position bigint, event_version integer)
LANGUAGE plpgsql
AS $$
DECLARE
    v_count integer := coalesce(cardinality(p_event_ids), 0);
    -- Why stamp the transaction id: readers take only events of transactions older than the
    -- oldest one still running; every event that can still appear has an id at least that.
    v_xid xid8 := pg_current_xact_id();
    v_recorded_at timestamptz := clock_timestamp();
    v_recorded_micros bigint;
    v_version integer;
    v_hash bytea;
    v_existing integer;
    v_conflict record;
    v_positions bigint[];
    v_hashes bytea[] := '{}';
BEGIN
    IF v_count = 0 THEN
        RAISE EXCEPTION 'an append needs at least one event' USING ERRCODE = 'PW004';
    END IF;
    IF coalesce(cardinality(p_types), 0) <> v_count
       OR coalesce(cardinality(p_schema_versions), 0) <> v_count
       OR coalesce(cardinality(p_payloads), 0) <> v_count
       OR coalesce(cardinality(p_metadata), 0) <> v_count
       OR coalesce(cardinality(p_subject_ids), 0) <> v_count
       OR coalesce(cardinality(p_personal_fields), 0) <> v_count
       OR coalesce(cardinality(p_content_hashes), 0) <> v_count THEN
        RAISE EXCEPTION 'append arrays differ in length' USING ERRCODE = 'PW004';
    END IF;

    -- Why lock the head first (before looking for replays): a concurrent append of the same
    -- events then finishes before this one looks, so a retry racing its original sees the
    -- original's rows and returns them instead of failing on a version it cannot match.
    SELECT s.version, s.last_hash INTO v_version, v_hash
    FROM eventstore.streams s WHERE s.stream_id = p_stream_id FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO eventstore.streams (stream_id, version, last_hash)
        VALUES (p_stream_id, 0, '\x0000000000000000000000000000000000000000000000000000000000000000')
        ON CONFLICT (stream_id) DO NOTHING;
        SELECT s.version, s.last_hash INTO v_version, v_hash
        FROM eventstore.streams s WHERE s.stream_id = p_stream_id FOR UPDATE;
    END IF;

    -- Idempotency: the caller's event ids decide whether this is a replay.
    SELECT count(*) INTO v_existing FROM eventstore.events e WHERE e.event_id = ANY (p_event_ids);
    IF v_existing > 0 THEN
        -- Metadata (trace id, actor) is not compared: a retry may run under a new trace.
        SELECT i.id,
               CASE
                   WHEN e.event_id IS NULL THEN
                       'is new but other events of the same append were already recorded'
                   WHEN e.stream_id <> p_stream_id THEN
                       format('was already recorded in stream %s', e.stream_id)
                   ELSE 'was already recorded with different content'
               END AS reason
        INTO v_conflict
        FROM unnest(p_event_ids, p_types, p_schema_versions, p_payloads, p_subject_ids,
                    p_personal_fields) WITH ORDINALITY
             AS i(id, type, schema_version, payload, subject_id, personal_fields, ord)
        LEFT JOIN eventstore.events e ON e.event_id = i.id
        WHERE e.event_id IS NULL
           OR e.stream_id <> p_stream_id
           OR e.type <> i.type
           OR e.schema_version <> i.schema_version
           OR e.payload::text <> i.payload
           OR e.subject_id IS DISTINCT FROM i.subject_id
           OR e.personal_fields <> ARRAY(SELECT json_array_elements_text(i.personal_fields::json))
        ORDER BY i.ord
        LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'event % %', v_conflict.id, v_conflict.reason
                USING ERRCODE = 'PW002', DETAIL = v_conflict.id::text;
        END IF;
        RETURN QUERY
            SELECT e.position, e.version
            FROM unnest(p_event_ids) WITH ORDINALITY AS i(id, ord)
            JOIN eventstore.events e ON e.event_id = i.id
            ORDER BY i.ord;
        RETURN;
    END IF;

    IF (p_expected_version = -1 AND v_version = 0)
       OR (p_expected_version >= 0 AND p_expected_version <> v_version) THEN
        RAISE EXCEPTION 'stream %: expected version %, actual version %',
                        p_stream_id, p_expected_version, v_version
            USING ERRCODE = 'PW001', DETAIL = v_version::text;
    END IF;

    SELECT array_agg(p ORDER BY p) INTO v_positions
    FROM (SELECT nextval('eventstore.events_position_seq') AS p
          FROM generate_series(1, v_count)) drawn;

    -- The per-stream hash chain; the content hash comes from the client (hashing.py), which
    -- hashes the exact payload and metadata text sent here, personal fields encrypted.
    v_recorded_micros := (extract(epoch FROM v_recorded_at) * 1000000)::bigint;
    FOR i IN 1 .. v_count LOOP
        IF octet_length(p_content_hashes[i]) <> 32 THEN
            RAISE EXCEPTION 'content hash % is not 32 bytes', i USING ERRCODE = 'PW004';
        END IF;
        v_hash := sha256(v_hash || int8send((v_version + i)::bigint) || int8send(v_positions[i])
                         || int8send(v_recorded_micros) || p_content_hashes[i]);
        v_hashes[i] := v_hash;
    END LOOP;

    INSERT INTO eventstore.events (position, transaction_id, stream_id, version, event_id, type,
                                   schema_version, payload, metadata, subject_id,
                                   personal_fields, recorded_at, hash)
    SELECT v_positions[i.ord], v_xid, p_stream_id, v_version + i.ord::integer, i.id, i.type,
           i.schema_version, i.payload::json, i.metadata::json, i.subject_id,
           ARRAY(SELECT json_array_elements_text(i.personal_fields::json)),
           v_recorded_at, v_hashes[i.ord]
    FROM unnest(p_event_ids, p_types, p_schema_versions, p_payloads, p_metadata, p_subject_ids,
                p_personal_fields) WITH ORDINALITY
         AS i(id, type, schema_version, payload, metadata, subject_id, personal_fields, ord);

    UPDATE eventstore.streams
    SET version = v_version + v_count, last_hash = v_hash, updated_at = v_recorded_at
    WHERE stream_id = p_stream_id;

    -- Why a wake-up without content: listeners pull from the log anyway (a notification is
    -- delivered only on commit and is lost if nobody listens, so it must never carry data).
    IF p_notify THEN
        PERFORM pg_notify('eventstore_appended', '');
    END IF;

    RETURN QUERY SELECT v_positions[g], v_version + g FROM generate_series(1, v_count) AS g;
END;
$$;
