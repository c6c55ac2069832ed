-- Every request needs the whole team (who the sender is, whom they may
-- see), and decoding 200 people's JSON was most of a short read's time on
-- PostgreSQL, where another replica may change a person at any moment.
-- The store keeps the decoded team in memory with the version below and
-- reads only the version per request (store/people.go): every statement
-- that changes the people table, from the bot, a restore or psql, bumps
-- it in the same transaction, so an unchanged version means an unchanged
-- team. Two concurrent writers of people then conflict on this row and
-- one retries; people change rarely.

-- +goose Up
CREATE TABLE table_versions (name text PRIMARY KEY, version bigint NOT NULL);
INSERT INTO table_versions VALUES ('people', 1);

-- +goose StatementBegin
CREATE FUNCTION accountbot_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE table_versions SET version = version + 1 WHERE name = TG_TABLE_NAME;
	RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER people_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON people
	FOR EACH STATEMENT EXECUTE FUNCTION accountbot_bump_version();

-- +goose Down
DROP TRIGGER people_version ON people;
DROP FUNCTION accountbot_bump_version();
DROP TABLE table_versions;
