-- Seals: chained digests over consecutive ranges of the global log, in commit order.
-- Why: the per-stream hash chain cannot notice a stream's last event being deleted, nor a whole
-- event being inserted or removed when the forger recomputes that stream's hashes. A seal
-- commits to every event of its range (position and hash), to their count and to the previous
-- seal, so any such change inside a sealed range breaks the seal and every later one. Publishing
-- the newest digest outside the database (the audit report prints it) anchors the whole log.

CREATE TABLE eventstore.seals (
    seal_number bigint PRIMARY KEY CHECK (seal_number >= 1),
    -- The commit-order cursor of the range's last event: (transaction_id, position).
    last_transaction_id xid8 NOT NULL,
    last_position bigint NOT NULL,
    event_count bigint NOT NULL CHECK (event_count >= 1),
    previous_digest bytea NOT NULL CHECK (octet_length(previous_digest) = 32),
    digest bytea NOT NULL CHECK (octet_length(digest) = 32),
    sealed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Why: seals are evidence; like events they are never changed or removed.
CREATE TRIGGER seals_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON eventstore.seals
    FOR EACH STATEMENT EXECUTE FUNCTION eventstore.refuse_rewrite();
