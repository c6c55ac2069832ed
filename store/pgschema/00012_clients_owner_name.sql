-- A page of a person's or a team's clients by name reads the first names
-- of each owner (pgTxn.readFirst, the con/ index): in name order from an
-- index, twenty entries, not the owner's whole book sorted.

-- +goose Up
CREATE INDEX clients_owner_name ON clients (owner_id, name_norm, id);

-- +goose Down
DROP INDEX clients_owner_name;
