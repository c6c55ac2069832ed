-- Room in every page for the new version of an updated row, and no index
-- on a column that every /log changes (clients.last_touch), so that the
-- frequent updates (a client's last touch, a health marker, a running
-- total) are HOT: the new row version goes in the same page and no index
-- gets a new entry. Besides saving writes, that keeps SERIALIZABLE
-- transactions from conflicting by accident: PostgreSQL tracks what they
-- read by index page, so a new index entry in a page that a concurrent
-- transaction read (another client's key on the same page) counts as a
-- conflict. The fill factors apply to pages written from now on.

-- +goose Up
DROP INDEX clients_last_touch;
ALTER TABLE kv SET (fillfactor = 70);
ALTER TABLE clients SET (fillfactor = 70);
ALTER TABLE tasks SET (fillfactor = 80);
ALTER TABLE deals SET (fillfactor = 80);
ALTER TABLE claims SET (fillfactor = 80);
ALTER TABLE people SET (fillfactor = 80);

-- +goose Down
ALTER TABLE people RESET (fillfactor);
ALTER TABLE claims RESET (fillfactor);
ALTER TABLE deals RESET (fillfactor);
ALTER TABLE tasks RESET (fillfactor);
ALTER TABLE clients RESET (fillfactor);
ALTER TABLE kv RESET (fillfactor);
CREATE INDEX clients_last_touch ON clients (last_touch);
