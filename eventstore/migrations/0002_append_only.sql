-- Append-only enforcement, second layer (the first is the application role's privileges, 0007).
-- Why: history is the system of record for auditors; corrections are new events. A statement
-- trigger refuses UPDATE, DELETE and TRUNCATE for every role, the owner included. A superuser can
-- still disable triggers; verify() and the seals are what catch that.

CREATE FUNCTION eventstore.refuse_rewrite() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'eventstore.% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'PW003',
              HINT = 'Record a correcting event instead.';
END;
$$;

CREATE TRIGGER events_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON eventstore.events
    FOR EACH STATEMENT EXECUTE FUNCTION eventstore.refuse_rewrite();
