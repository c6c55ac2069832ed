-- A person's claims list reads the open part of the claims by owner and
-- by assignee (the clw/ and cls/ indexes' parts): these partial indexes
-- find the open claims without reading the years of closed ones beside
-- them.

-- +goose Up
CREATE INDEX claims_owner_open ON claims (owner_id) WHERE is_open;
CREATE INDEX claims_assignee_open ON claims (assignee_id) WHERE is_open;

-- +goose Down
DROP INDEX claims_assignee_open;
DROP INDEX claims_owner_open;
