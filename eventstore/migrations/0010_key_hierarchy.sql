-- The key hierarchy: every data key is stored wrapped under a key-encryption key (KEK) that the
-- processes hold and PostgreSQL never does, and the database records enough to say when an
-- erasure is complete (docs/security.md, "Erasure").

-- Why a registry of KEK ids (never the keys): an erasure is complete only once every KEK that
-- ever wrapped the erased data key has been destroyed, so the ids and the time a rotation
-- retired each must outlive the rows they wrapped. The id is a hash prefix, useless to unwrap.
CREATE TABLE eventstore.key_encryption_keys (
    kek_id text PRIMARY KEY CHECK (kek_id ~ '^k-[0-9a-f]{16}$'),
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- Set by the rotation that re-wrapped every data key away from this KEK; from then on the
    -- KEK wraps nothing live and the operator destroys it.
    retired_at timestamptz
);

-- Why: a retired KEK stays retired; un-retiring one would let new keys be wrapped under a key
-- the operator was told to destroy, and would falsify every "complete" answer given since.
CREATE FUNCTION eventstore.keep_retirement_final() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'key-encryption key ids are never deleted' USING ERRCODE = 'PK002';
    END IF;
    IF OLD.retired_at IS NOT NULL AND NEW.retired_at IS DISTINCT FROM OLD.retired_at THEN
        RAISE EXCEPTION 'key-encryption key % was retired; it stays retired', OLD.kek_id
            USING ERRCODE = 'PK002';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER key_encryption_keys_retirement_final
    BEFORE UPDATE OR DELETE ON eventstore.key_encryption_keys
    FOR EACH ROW EXECUTE FUNCTION eventstore.keep_retirement_final();

-- Why kek_id on the key row: a process must know which KEK a row needs before trying it, so a
-- process without that KEK refuses at start naming it instead of failing on some later read.
-- Why stored_unwrapped: keys written before this migration sat unwrapped in the table's file
-- and the WAL; no rotation can make those old copies unreadable, so an erasure of such a key
-- must never be reported complete on the strength of a rotation alone.
ALTER TABLE eventstore.subject_keys
    ADD COLUMN kek_id text REFERENCES eventstore.key_encryption_keys (kek_id),
    ADD COLUMN stored_unwrapped boolean NOT NULL DEFAULT false;

UPDATE eventstore.subject_keys SET stored_unwrapped = true;

-- Why a history of wrappings: each (data key, KEK) pair that was ever written leaves copies in
-- the heap, the WAL and backups; the erasure is complete when every KEK listed for the subject
-- is retired. Rows are only ever added.
CREATE TABLE eventstore.subject_key_wrappings (
    subject_id text NOT NULL REFERENCES eventstore.subject_keys (subject_id),
    kek_id text NOT NULL REFERENCES eventstore.key_encryption_keys (kek_id),
    wrapped_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (subject_id, kek_id)
);

-- Why in the database as well as in the key store: fail closed. Whatever client writes a data
-- key (an old binary, a process built without a KEK, a hand-written statement of the app role),
-- it is refused unless wrapped under a KEK that is registered and not retired.
CREATE FUNCTION eventstore.require_wrapped_keys() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.data_key IS NULL THEN
        RETURN NEW;  -- a tombstone: nothing to wrap
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.data_key IS NOT DISTINCT FROM OLD.data_key
       AND NEW.kek_id IS NOT DISTINCT FROM OLD.kek_id THEN
        RETURN NEW;  -- the key itself is unchanged (e.g. a legacy row's flags)
    END IF;
    IF NEW.kek_id IS NULL THEN
        RAISE EXCEPTION 'data key of subject % must be wrapped under a key-encryption key',
            NEW.subject_id USING ERRCODE = 'PK001';
    END IF;
    IF EXISTS (SELECT FROM eventstore.key_encryption_keys
               WHERE kek_id = NEW.kek_id AND retired_at IS NOT NULL) THEN
        RAISE EXCEPTION 'key-encryption key % was retired by a rotation', NEW.kek_id
            USING ERRCODE = 'PK003';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER subject_keys_wrapped
    BEFORE INSERT OR UPDATE ON eventstore.subject_keys
    FOR EACH ROW EXECUTE FUNCTION eventstore.require_wrapped_keys();

-- Why a trigger records the wrappings: no writer can wrap a key without the history knowing,
-- which is what the erasure's "complete" rests on.
CREATE FUNCTION eventstore.record_key_wrapping() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.data_key IS NOT NULL AND NEW.kek_id IS NOT NULL THEN
        INSERT INTO eventstore.subject_key_wrappings (subject_id, kek_id)
        VALUES (NEW.subject_id, NEW.kek_id)
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER subject_keys_wrapping_recorded
    AFTER INSERT OR UPDATE ON eventstore.subject_keys
    FOR EACH ROW EXECUTE FUNCTION eventstore.record_key_wrapping();

-- Why these grants: the application role wraps new keys (registering its KEK), and the rotation
-- it may run re-wraps keys and retires KEKs; it never deletes either table's rows.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pathways_app') THEN
        GRANT SELECT, INSERT, UPDATE ON eventstore.key_encryption_keys TO pathways_app;
        GRANT SELECT, INSERT ON eventstore.subject_key_wrappings TO pathways_app;
    END IF;
END;
$$;
