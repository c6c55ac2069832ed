-- The records as rows of real tables, one per kind, replacing the views of
-- 00002. Each row has:
--   * the columns that queries filter and sort on (and an analyst reads),
--     computed by the bot from the record at every write;
--   * data: the whole record as jsonb (raw instead, for the rare value
--     that is not JSON);
--   * key: the store's key of the record (the order the bot reads in).
-- The hand-made indexes of the Badger store over these records (clients by
-- owner and by name, deals by client and owner, claims by owner, tasks by
-- assignee, …) are not stored: the bot answers them from these tables on
-- the SQL indexes below. Everything else (running totals, counters,
-- settings, history, delivery keys, tokens, leases, id sequences) stays in
-- kv. Rows are moved from kv by the next migration (00004, in Go).

-- +goose Up
DROP VIEW claims, deals, conversations, clients, people;

CREATE TABLE people (
    id          bigint,
    name        text,
    role        text,
    identities  text[],
    reports_to  bigint,
    lang        text,
    tz          text,
    email       text,
    dismissed   boolean,
    created_at  timestamptz,
    data        jsonb,
    raw         bytea,
    key         bytea PRIMARY KEY
);

CREATE TABLE clients (
    id            bigint,
    name          text,
    owner_id      bigint,        -- 0: nobody's
    status        text,
    segment       text,
    industry      text,
    size          text,
    city          text,
    source        text,
    contact       text,
    phone         text,
    email         text,
    rating        text,
    next_step     text,
    next_step_due timestamptz,
    last_touch    timestamptz,
    reviewed_at   timestamptz,
    created_at    timestamptz,
    name_norm     text COLLATE "C", -- the name as the bot compares names
    data          jsonb,
    raw           bytea,
    key           bytea PRIMARY KEY
);
CREATE INDEX clients_owner ON clients (owner_id);
CREATE INDEX clients_name ON clients (name_norm);
CREATE INDEX clients_last_touch ON clients (last_touch);

CREATE TABLE conversations (
    id           bigint,
    client_id    bigint,
    author_id    bigint,
    on_behalf_of bigint,
    at           timestamptz,
    channels     text[],
    text         text,
    data         jsonb,
    raw          bytea,
    key          bytea PRIMARY KEY -- by client, then time
);
CREATE INDEX conversations_author ON conversations (author_id, at);

CREATE TABLE tasks (
    id          bigint,
    client_id   bigint,
    assignee_id bigint,
    text        text,
    due         timestamptz,
    is_open     boolean,
    done_at     timestamptz,
    ring_at     timestamptz,
    created_at  timestamptz,
    created_by  bigint,
    data        jsonb,
    raw         bytea,
    key         bytea PRIMARY KEY
);
CREATE INDEX tasks_assignee_open ON tasks (assignee_id) WHERE is_open;
CREATE INDEX tasks_client ON tasks (client_id);

CREATE TABLE deals (
    id             bigint,
    client_id      bigint,
    owner_id       bigint,
    title          text,
    amount         numeric,
    currency       text,
    stage          text,
    is_open        boolean,
    probability    int,
    expected_close timestamptz,
    competitor     text,
    loss_reason    text,
    cancelled      boolean,
    created_at     timestamptz,
    closed_at      timestamptz,
    data           jsonb,
    raw            bytea,
    key            bytea PRIMARY KEY
);
CREATE INDEX deals_client ON deals (client_id);
CREATE INDEX deals_owner ON deals (owner_id);
CREATE INDEX deals_owner_open ON deals (owner_id) WHERE is_open;

CREATE TABLE claims (
    id           bigint,
    client_id    bigint,
    owner_id     bigint,
    reporter_id  bigint,
    assignee_id  bigint,
    severity     text,
    category     text,
    status       text,
    is_open      boolean,
    text         text,
    resolution   text,
    created_at   timestamptz,
    ack_due      timestamptz,
    resolve_due  timestamptz,
    resolved_at  timestamptz,
    closed_at    timestamptz,
    satisfaction int,
    data         jsonb,
    raw          bytea,
    key          bytea PRIMARY KEY
);
CREATE INDEX claims_client ON claims (client_id);
CREATE INDEX claims_owner ON claims (owner_id);
CREATE INDEX claims_assignee ON claims (assignee_id) WHERE assignee_id IS NOT NULL;
CREATE INDEX claims_created ON claims (created_at);
CREATE INDEX claims_resolve_due_open ON claims (resolve_due) WHERE is_open;

-- No Down: the rows moved out of kv would be lost with the tables.
