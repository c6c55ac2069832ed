-- The store's key-value table: the same keys and values as Badger, so that
-- both engines run the same record code. Keys compare as bytes (bytea
-- ordering is byte-wise), which the prefix and range scans rely on.

-- +goose Up
CREATE TABLE kv (
    key        bytea PRIMARY KEY,
    value      bytea NOT NULL DEFAULT '\x',
    -- Delivery keys, button tokens and drafts expire; NULL never does.
    expires_at timestamptz
);
CREATE INDEX kv_expires ON kv (expires_at) WHERE expires_at IS NOT NULL;

-- +goose StatementBegin
-- An 8-byte big-endian value (id sequences, counters) as a number.
CREATE FUNCTION accountbot_u64(v bytea) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT ('x' || encode(v, 'hex'))::bit(64)::bigint $$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION accountbot_u64(bytea);
DROP TABLE kv;
