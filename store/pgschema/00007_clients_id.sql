-- The clients' planning audience rows (pla/<id>) are derived from the
-- clients table by id (engine_pg_tables.go), and the table's primary key
-- is the store's key, not the id: without an index on id every read of an
-- audience row was a scan of the whole table (a supervisor's /segments at
-- 50,000 clients took 18 s). id never changes, so the index keeps the
-- clients' updates HOT.

-- +goose Up
CREATE INDEX clients_id ON clients (id);

-- +goose Down
DROP INDEX clients_id;
