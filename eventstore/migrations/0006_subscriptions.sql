-- Subscription checkpoints.
-- Why a row per subscription, written in the handler's own transaction: the checkpoint then
-- moves exactly when the handler's writes commit, so a crash can only replay events whose
-- effects were rolled back (at-least-once delivery, exactly-once effects inside PostgreSQL).
-- The cursor is the commit-order pair (transaction_id, position) of the last handled event.

CREATE TABLE eventstore.subscription_checkpoints (
    subscription text PRIMARY KEY CHECK (subscription <> ''),
    last_transaction_id xid8 NOT NULL DEFAULT '0',
    last_position bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
