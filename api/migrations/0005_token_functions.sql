-- Tokens change only through two functions, and a revocation is final.
-- Why: with UPDATE on api.tokens (0004) the application role could clear revoked_at, push out
-- expires_at or change a token's role, and with INSERT it could store any row it liked. Now the
-- role may only read tokens and call api.issue_token / api.revoke_token, which run with the
-- owner's rights (SECURITY DEFINER) and a pinned search_path, so nothing the caller creates can
-- stand in for the objects they use.

-- Issue: the database clock decides created_at (the caller cannot back-date a token) and the
-- lifetime must be positive. The caller chooses id, hash, role, organisation and subject, as
-- `pathways admin token create` does; the table's own checks still apply.
CREATE FUNCTION api.issue_token(
    p_token_id text,
    p_token_hash bytea,
    p_role text,
    p_organisation_id text,
    p_subject_id text,
    p_expires_in interval
) RETURNS SETOF api.tokens
LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_now timestamptz := clock_timestamp();
BEGIN
    IF p_expires_in IS NULL OR p_expires_in <= interval '0' THEN
        RAISE EXCEPTION 'a token needs a positive lifetime' USING ERRCODE = '22023';
    END IF;
    RETURN QUERY
    INSERT INTO api.tokens AS t (token_id, token_hash, role, organisation_id, subject_id,
                                 created_at, expires_at)
    VALUES (p_token_id, p_token_hash, p_role, p_organisation_id, p_subject_id, v_now,
            v_now + p_expires_in)
    RETURNING t.*;
END;
$$;

-- Revoke: sets revoked_at once, to the database clock; revoking again keeps the first time.
-- Returns false when no such token exists.
CREATE FUNCTION api.revoke_token(p_token_id text) RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE api.tokens SET revoked_at = clock_timestamp()
    WHERE token_id = p_token_id AND revoked_at IS NULL;
    RETURN EXISTS (SELECT FROM api.tokens WHERE token_id = p_token_id);
END;
$$;

-- Why a trigger as well: privileges bind only the application role. The trigger makes a
-- revocation final, a token's identity fixed and its lifetime never longer, for every role, the
-- owner included; a superuser can disable it, which is why tokens are also short-lived.
CREATE FUNCTION api.keep_tokens_final() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'api tokens are never deleted; revoke them instead'
            USING ERRCODE = 'PW003';
    END IF;
    IF OLD.revoked_at IS NOT NULL AND NEW.revoked_at IS DISTINCT FROM OLD.revoked_at THEN
        RAISE EXCEPTION 'token % was revoked; a revocation cannot be cleared or moved',
                        OLD.token_id
            USING ERRCODE = 'PW003';
    END IF;
    IF (NEW.token_id, NEW.token_hash, NEW.role, NEW.organisation_id, NEW.subject_id,
        NEW.created_at)
       IS DISTINCT FROM
       (OLD.token_id, OLD.token_hash, OLD.role, OLD.organisation_id, OLD.subject_id,
        OLD.created_at) THEN
        RAISE EXCEPTION 'token %: only its revocation and expiry may change', OLD.token_id
            USING ERRCODE = 'PW003';
    END IF;
    -- A lifetime may be cut short (an operator ending a token early), never extended.
    IF NEW.expires_at > OLD.expires_at THEN
        RAISE EXCEPTION 'token %: a lifetime cannot be extended', OLD.token_id
            USING ERRCODE = 'PW003';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER tokens_final
    BEFORE UPDATE OR DELETE ON api.tokens
    FOR EACH ROW EXECUTE FUNCTION api.keep_tokens_final();

-- Why a statement trigger too: TRUNCATE skips row triggers.
CREATE TRIGGER tokens_no_truncate
    BEFORE TRUNCATE ON api.tokens
    FOR EACH STATEMENT EXECUTE FUNCTION api.refuse_rewrite();

-- Why revoke from PUBLIC: new functions are executable by every role of the cluster.
REVOKE EXECUTE ON FUNCTION api.issue_token(text, bytea, text, text, text, interval) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION api.revoke_token(text) FROM PUBLIC;

-- The application role's grants on the API's tables, each with its reason:
-- * tokens: read (authenticate, list); written only through the two functions above.
-- * access_log: read and append only (0002's trigger refuses changes for everyone); the head
--   row is updated by every append, so UPDATE stays (rewinding it only makes the next append
--   fail on the entry's primary key, it cannot rewrite an entry).
-- * idempotency_keys: a cache of answers, not history; a request claims a key (INSERT), stores
--   its answer (UPDATE) and releases a claim that failed (DELETE).
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pathways_app') THEN
        REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON api.tokens FROM pathways_app;
        GRANT SELECT ON api.tokens TO pathways_app;
        GRANT EXECUTE ON FUNCTION api.issue_token(text, bytea, text, text, text, interval),
            api.revoke_token(text) TO pathways_app;
        REVOKE UPDATE, DELETE, TRUNCATE ON api.access_log FROM pathways_app;
        GRANT SELECT, INSERT ON api.access_log TO pathways_app;
        REVOKE INSERT, DELETE, TRUNCATE ON api.access_log_head FROM pathways_app;
        GRANT SELECT, UPDATE ON api.access_log_head TO pathways_app;
        REVOKE TRUNCATE ON api.idempotency_keys FROM pathways_app;
        GRANT SELECT, INSERT, UPDATE, DELETE ON api.idempotency_keys TO pathways_app;
    END IF;
END;
$$;
