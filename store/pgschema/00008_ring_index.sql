-- The reminders' ring index (tr/<ring at><task>) is derived from the
-- tasks table (engine_pg_tables.go) instead of being rows of kv: a
-- scheduler tick reads the open tasks with a ring time on this partial
-- index, soonest first. ring_at changes only when a reminder is set, rung
-- or done, so the index costs no /log a HOT update.

-- +goose Up
DELETE FROM kv WHERE key >= '\x74722f'::bytea AND key < '\x747230'::bytea;
CREATE INDEX tasks_ring ON tasks (ring_at) WHERE is_open AND ring_at IS NOT NULL;

-- +goose Down
DROP INDEX tasks_ring;
INSERT INTO kv (key)
SELECT '\x74722f'::bytea
       || int8send((extract(epoch FROM ring_at) * 1000000)::bigint * 1000)
       || int8send(id)
FROM tasks WHERE is_open AND ring_at IS NOT NULL
ON CONFLICT DO NOTHING;
