-- clients_owner_name (owner_id, name_norm, id) serves every read by owner
-- that clients_owner served, and a page of several owners' clients reads
-- each owner's names up to the page's last (pageRead) by a range of it,
-- which the planner passed over for clients_owner and a filter of every
-- row of the owner: the narrower index goes.

-- +goose Up
DROP INDEX clients_owner;

-- +goose Down
CREATE INDEX clients_owner ON clients (owner_id);
