-- Signed seals over the access log (issue 11).
-- Why: the access log's chain is a plain sha256 anybody can recompute, so a superuser could
-- rewrite who read what and re-chain the rest. A seal commits to every entry of its range (seq
-- and hash), to their count and to the seal before it, and is signed with an Ed25519 key the
-- database never holds (eventstore/signing.py), exactly as the event store's seals are; the
-- newest seal's signed line can be recorded outside the database as an anchor
-- (`pathways audit anchor`). Ranges are by seq: appends take turns on the head row, so the
-- entries visible to any snapshot are always a prefix 1..n of the log.

CREATE TABLE api.access_log_seals (
    seal_number bigint PRIMARY KEY CHECK (seal_number >= 1),
    last_seq bigint NOT NULL CHECK (last_seq >= 1),
    entry_count bigint NOT NULL CHECK (entry_count >= 1),
    previous_digest bytea NOT NULL CHECK (octet_length(previous_digest) = 32),
    digest bytea NOT NULL CHECK (octet_length(digest) = 32),
    signature bytea CHECK (signature IS NULL OR octet_length(signature) = 64),
    signing_key_id text CHECK (signing_key_id IS NULL OR signing_key_id ~ '^[0-9a-f]{16}$'),
    sealed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Why: seals are evidence; like the entries they cover they are never changed or removed.
CREATE TRIGGER access_log_seals_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON api.access_log_seals
    FOR EACH STATEMENT EXECUTE FUNCTION api.refuse_rewrite();

-- Why a SECURITY DEFINER function: the application role may add only the next seal, chained to
-- the newest one and continuing its range, never an arbitrary row (it has no INSERT on the
-- table). Owned by the schema owner, search path pinned so that no object of the caller's can
-- stand in for the table; it takes the access-log sealers' advisory lock itself. The signature
-- cannot be checked here (PostgreSQL must not need key material); verify checks it.
CREATE FUNCTION api.insert_access_log_seal(
    p_seal_number bigint,
    p_last_seq bigint,
    p_entry_count bigint,
    p_previous_digest bytea,
    p_digest bytea,
    p_signature bytea,
    p_signing_key_id text
) RETURNS SETOF api.access_log_seals
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_last api.access_log_seals%ROWTYPE;
BEGIN
    -- The lock api/access_log/seals.py takes: two sealers take turns.
    PERFORM pg_advisory_xact_lock(8097881597017160053);
    SELECT * INTO v_last FROM api.access_log_seals ORDER BY seal_number DESC LIMIT 1;
    IF p_seal_number <> coalesce(v_last.seal_number, 0) + 1
       OR p_last_seq <> coalesce(v_last.last_seq, 0) + p_entry_count
       OR p_previous_digest IS DISTINCT FROM coalesce(v_last.digest, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea) THEN
        RAISE EXCEPTION 'access-log seal % does not follow seal %', p_seal_number,
                        coalesce(v_last.seal_number, 0)
            USING ERRCODE = 'PW005';
    END IF;
    RETURN QUERY
        INSERT INTO api.access_log_seals (seal_number, last_seq, entry_count, previous_digest,
                                          digest, signature, signing_key_id)
        VALUES (p_seal_number, p_last_seq, p_entry_count, p_previous_digest, p_digest,
                p_signature, p_signing_key_id)
        RETURNING *;
END;
$$;

-- Why revoke from PUBLIC: functions are executable by everybody by default.
REVOKE ALL ON FUNCTION api.insert_access_log_seal(bigint, bigint, bigint, bytea, bytea, bytea,
    text) FROM PUBLIC;

-- Why: the application role reads the seals (verify) and adds them only through the function.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pathways_app') THEN
        GRANT SELECT ON api.access_log_seals TO pathways_app;
        GRANT EXECUTE ON FUNCTION api.insert_access_log_seal(bigint, bigint, bigint, bytea,
            bytea, bytea, text) TO pathways_app;
    END IF;
END;
$$;
