-- Read-only views for analysts: each decodes one kind of record's JSON
-- value into columns. The store never reads them.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION accountbot_json(v bytea) RETURNS jsonb
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT convert_from(v, 'UTF8')::jsonb $$;
-- +goose StatementEnd
-- +goose StatementBegin
-- A zero Go time (year 1) means "not set".
CREATE FUNCTION accountbot_time(t text) RETURNS timestamptz
LANGUAGE sql STABLE STRICT AS $$ SELECT CASE WHEN t LIKE '0001-01-01%' THEN NULL ELSE t::timestamptz END $$;
-- +goose StatementEnd

CREATE VIEW people AS
SELECT (j->>'id')::bigint AS id, j->>'name' AS name, j->>'role' AS role,
       ARRAY(SELECT jsonb_array_elements_text(j->'identities')) AS identities,
       NULLIF((j->>'reports_to')::bigint, 0) AS reports_to,
       j->>'lang' AS lang, j->>'tz' AS tz,
       COALESCE((j->>'dismissed')::boolean, false) AS dismissed,
       accountbot_time(j->>'created_at') AS created_at
FROM (SELECT accountbot_json(value) AS j FROM kv
      WHERE key >= '\x702f' AND key < '\x7030' AND length(key) = 10) r;

CREATE VIEW clients AS
SELECT (j->>'id')::bigint AS id, j->>'name' AS name,
       NULLIF((j->>'owner_id')::bigint, 0) AS owner_id,
       j->>'status' AS status, j->>'segment' AS segment, j->>'industry' AS industry,
       j->>'size' AS size, j->>'city' AS city, j->>'contact' AS contact,
       j->>'phone' AS phone, j->>'email' AS email, j->>'rating' AS rating,
       j->>'next_step' AS next_step, accountbot_time(j->>'next_step_due') AS next_step_due,
       accountbot_time(j->>'last_touch') AS last_touch,
       accountbot_time(j->>'created_at') AS created_at,
       j AS record
FROM (SELECT accountbot_json(value) AS j FROM kv
      WHERE key >= '\x632f' AND key < '\x6330' AND length(key) = 10) r;

CREATE VIEW conversations AS
SELECT (j->>'id')::bigint AS id, (j->>'client_id')::bigint AS client_id,
       (j->>'author_id')::bigint AS author_id,
       NULLIF((j->>'on_behalf_of')::bigint, 0) AS on_behalf_of,
       accountbot_time(j->>'at') AS at, j->>'text' AS text,
       ARRAY(SELECT jsonb_array_elements_text(COALESCE(j->'channels', '[]'))) AS channels
FROM (SELECT accountbot_json(value) AS j FROM kv
      WHERE key >= '\x762f' AND key < '\x7630' AND length(key) = 26) r;

CREATE VIEW deals AS
SELECT (j->>'id')::bigint AS id, (j->>'client_id')::bigint AS client_id,
       (j->>'owner_id')::bigint AS owner_id, j->>'title' AS title,
       (j->>'amount')::numeric AS amount, j->>'currency' AS currency,
       j->>'stage' AS stage, (j->>'probability')::int AS probability,
       accountbot_time(j->>'expected_close') AS expected_close,
       j->>'competitor' AS competitor, j->>'loss_reason' AS loss_reason,
       COALESCE((j->>'cancelled')::boolean, false) AS cancelled,
       accountbot_time(j->>'created_at') AS created_at,
       accountbot_time(j->>'closed_at') AS closed_at
FROM (SELECT accountbot_json(value) AS j FROM kv
      WHERE key >= '\x64642f' AND key < '\x646430' AND length(key) = 11) r;

CREATE VIEW claims AS
SELECT (j->>'id')::bigint AS id, (j->>'client_id')::bigint AS client_id,
       (j->>'owner_id')::bigint AS owner_id, (j->>'reporter_id')::bigint AS reporter_id,
       NULLIF((j->>'assignee_id')::bigint, 0) AS assignee_id,
       j->>'severity' AS severity, j->>'category' AS category, j->>'status' AS status,
       j->>'text' AS text, j->>'resolution' AS resolution,
       accountbot_time(j->>'created_at') AS created_at,
       accountbot_time(j->>'ack_due') AS ack_due,
       accountbot_time(j->>'resolve_due') AS resolve_due,
       accountbot_time(j->>'resolved_at') AS resolved_at,
       accountbot_time(j->>'closed_at') AS closed_at,
       NULLIF((j->>'satisfaction')::int, 0) AS satisfaction
FROM (SELECT accountbot_json(value) AS j FROM kv
      WHERE key >= '\x636c2f' AND key < '\x636c30' AND length(key) = 11) r;

-- +goose Down
DROP VIEW claims, deals, conversations, clients, people;
DROP FUNCTION accountbot_time(text), accountbot_json(bytea);
