-- Signed seals (issue 11).
-- Why: a seal's digest is a plain sha256, so a superuser who rewrites history can recompute every
-- digest and verify would find the seals intact. Each seal now carries an Ed25519 signature made
-- by the sealing process with a key PostgreSQL never holds (eventstore/signing.py); verify checks
-- every signature with the public key, and an auditor who holds only that key can too.
-- signing_key_id names the verify key (16 hex digits of its sha256), so a key rotation can be
-- told apart from a forgery. Both columns are NULL on seals made before this migration: verify
-- with a verify key reports such a seal as not signed.

ALTER TABLE eventstore.seals
    ADD COLUMN signature bytea CHECK (signature IS NULL OR octet_length(signature) = 64),
    ADD COLUMN signing_key_id text CHECK (signing_key_id IS NULL OR signing_key_id ~ '^[0-9a-f]{16}$');

-- Why a SECURITY DEFINER function instead of INSERT: the application role must not be able to
-- place an arbitrary row among the seals (a seal out of sequence, or one that does not chain to
-- the seal before it). The function is owned by the schema owner, runs with a pinned search
-- path so that no object of the caller's can stand in for the tables it uses, takes the sealers'
-- advisory lock itself, and inserts only the next seal in sequence, chained to the newest one.
-- The signature itself cannot be checked here (PostgreSQL does not hold, and must not need, the
-- key material); verify checks it.
CREATE FUNCTION eventstore.insert_seal(
    p_seal_number bigint,
    p_last_transaction_id xid8,
    p_last_position bigint,
    p_event_count bigint,
    p_previous_digest bytea,
    p_digest bytea,
    p_signature bytea,
    p_signing_key_id text
) RETURNS SETOF eventstore.seals
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_last eventstore.seals%ROWTYPE;
BEGIN
    -- The same lock seals.py takes (0x7061746877617974): two sealers take turns.
    PERFORM pg_advisory_xact_lock(8097881597017160052);
    SELECT * INTO v_last FROM eventstore.seals ORDER BY seal_number DESC LIMIT 1;
    IF p_seal_number <> coalesce(v_last.seal_number, 0) + 1 THEN
        RAISE EXCEPTION 'seal % is out of sequence (newest seal is %)',
                        p_seal_number, coalesce(v_last.seal_number, 0)
            USING ERRCODE = 'PW005';
    END IF;
    IF p_previous_digest IS DISTINCT FROM coalesce(v_last.digest, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea) THEN
        RAISE EXCEPTION 'seal % does not chain to seal %', p_seal_number,
                        coalesce(v_last.seal_number, 0)
            USING ERRCODE = 'PW005';
    END IF;
    RETURN QUERY
        INSERT INTO eventstore.seals (seal_number, last_transaction_id, last_position,
                                      event_count, previous_digest, digest, signature,
                                      signing_key_id)
        VALUES (p_seal_number, p_last_transaction_id, p_last_position, p_event_count,
                p_previous_digest, p_digest, p_signature, p_signing_key_id)
        RETURNING *;
END;
$$;

-- Why revoke from PUBLIC: functions are executable by everybody by default; only the
-- application role (and the owner) may seal.
REVOKE ALL ON FUNCTION eventstore.insert_seal(bigint, xid8, bigint, bigint, bytea, bytea, bytea,
    text) FROM PUBLIC;

-- Why: the application role seals only through the function above, never by INSERT.
-- (eventstore.grant_application_role() of 0008 still grants INSERT on seals; whoever redefines
-- it next must leave seals out. It is not redefined here so as not to undo 0009's version.)
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pathways_app') THEN
        REVOKE INSERT ON eventstore.seals FROM pathways_app;
        GRANT EXECUTE ON FUNCTION eventstore.insert_seal(bigint, xid8, bigint, bigint, bytea,
            bytea, bytea, text) TO pathways_app;
    END IF;
END;
$$;
