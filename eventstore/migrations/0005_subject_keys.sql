-- Per-subject data keys for crypto-shredding.
-- Why a table apart from the log: erasure must destroy a key, which is an UPDATE, and the log
-- refuses updates. Personal fields in events are ciphertext under these keys; destroying a key
-- makes them unreadable forever while every event, and so every hash, stays as it was.

CREATE TABLE eventstore.subject_keys (
    subject_id text PRIMARY KEY CHECK (subject_id <> ''),
    -- NULL once erased. Optionally wrapped under a master key kept outside the database.
    data_key bytea,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    erased_at timestamptz,
    -- Why: a row is either a live key or the tombstone of an erased one, never both or neither.
    CONSTRAINT subject_keys_live_or_erased CHECK ((data_key IS NULL) = (erased_at IS NOT NULL))
);

-- Why: erasure is final. A tombstone must never get a key again (new personal data for an
-- erased subject is refused), and tombstones are never deleted, so the refusal lasts.
CREATE FUNCTION eventstore.keep_erasure_final() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'subject keys are never deleted; erase sets data_key to NULL'
            USING ERRCODE = 'PW003';
    END IF;
    IF OLD.erased_at IS NOT NULL AND NEW.data_key IS NOT NULL THEN
        RAISE EXCEPTION 'subject % was erased; its key cannot come back', OLD.subject_id
            USING ERRCODE = 'PW003';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER subject_keys_erasure_final
    BEFORE UPDATE OR DELETE ON eventstore.subject_keys
    FOR EACH ROW EXECUTE FUNCTION eventstore.keep_erasure_final();
