package store

import (
	"context"
	"database/sql"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pressly/goose/v3"
)

// pgMoveToTables is schema version 4: it moves the records that a
// database of the key-value layout (versions 1 and 2) keeps in kv into the
// tables of version 3, computing their columns with the same code as
// every write, and deletes the derived index entries, which SQL now
// answers. In goose's transaction: all of it or nothing.
var pgMoveToTables = goose.NewGoMigration(4, &goose.GoFunc{RunTx: moveToTables}, nil)

// pgAudienceColumns is schema version 6: the clients' planning audience
// row and normalised source become columns, computed for every client,
// and their kv rows (pla/, plsrc/) go.
var pgAudienceColumns = goose.NewGoMigration(6, &goose.GoFunc{RunTx: audienceColumns}, nil)

func audienceColumns(ctx context.Context, tx *sql.Tx) error {
	for _, q := range []string{
		`ALTER TABLE clients ADD COLUMN source_norm text COLLATE "C", ADD COLUMN audience bytea`,
		`CREATE INDEX clients_source ON clients (source_norm) WHERE source_norm <> ''`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	if err := refreshTable(ctx, tx, pgClients); err != nil {
		return err
	}
	for _, p := range []string{"pla/", "plsrc/"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM kv WHERE key >= $1 AND key < $2`, []byte(p), prefixEnd([]byte(p))); err != nil {
			return err
		}
	}
	return nil
}

// pgStoredEntries is schema version 11: the tasks, deals and claims keep
// their records' derived index entries (encodeEntries) in a column,
// computed for every row, so that a read of an index takes them from
// there instead of decoding each record's JSON (pgIndex.stored).
var pgStoredEntries = goose.NewGoMigration(11, &goose.GoFunc{RunTx: storedEntries}, nil)

func storedEntries(ctx context.Context, tx *sql.Tx) error {
	for _, t := range []*pgTable{pgTasks, pgDeals, pgClaims} {
		if _, err := tx.ExecContext(ctx, `ALTER TABLE `+t.name+` ADD COLUMN entries bytea`); err != nil {
			return err
		}
		if err := refreshTable(ctx, tx, t); err != nil {
			return err
		}
	}
	return nil
}

// refreshTable computes every row's columns again from its record.
func refreshTable(ctx context.Context, tx *sql.Tx, t *pgTable) error {
	db := sqlExecer{tx}
	rows := newPGRows()
	err := eachPaged(ctx, tx, func(last []byte) (string, []any) {
		return `SELECT key, COALESCE(raw, convert_to(data::text, 'UTF8')) FROM ` + t.name + ` WHERE key > $1 ORDER BY key LIMIT ` + itoa(migratePage),
			[]any{append([]byte{}, last...)}
	}, func(k, v []byte) error { return rows.add(ctx, db, t, k, v) })
	if err != nil {
		return err
	}
	return rows.flush(ctx, db)
}

func moveToTables(ctx context.Context, tx *sql.Tx) error {
	db := sqlExecer{tx}
	rows := newPGRows()
	rows.base = true
	for _, t := range pgTables {
		p := []byte(t.prefix)
		end := prefixEnd(p)
		err := eachPaged(ctx, tx, func(last []byte) (string, []any) {
			if last == nil {
				return `SELECT key, value FROM kv WHERE key >= $1 AND key < $2 ORDER BY key LIMIT ` + itoa(migratePage), []any{p, end}
			}
			return `SELECT key, value FROM kv WHERE key > $1 AND key < $2 ORDER BY key LIMIT ` + itoa(migratePage), []any{last, end}
		}, func(k, v []byte) error { return rows.add(ctx, db, t, k, v) })
		if err != nil {
			return err
		}
		if err := rows.flush(ctx, db); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM kv WHERE key >= $1 AND key < $2`, p, end); err != nil {
			return err
		}
	}
	for _, x := range pgIndexes {
		p := []byte(x.prefix)
		if _, err := tx.ExecContext(ctx, `DELETE FROM kv WHERE key >= $1 AND key < $2`, p, prefixEnd(p)); err != nil {
			return err
		}
	}
	return nil
}

// migratePage is how many rows a migration reads at a time.
const migratePage = 1000

// eachPaged calls fn with every key and value that page's queries return,
// in pages of migratePage rows: page gets the last key read (nil at first)
// and returns the query of the next page, which orders by key.
func eachPaged(ctx context.Context, tx *sql.Tx, page func(last []byte) (string, []any), fn func(k, v []byte) error) error {
	var last []byte
	for {
		q, args := page(last)
		rs, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		n := 0
		for rs.Next() {
			var k, v []byte
			if err := rs.Scan(&k, &v); err != nil {
				rs.Close()
				return err
			}
			if err := fn(k, v); err != nil {
				rs.Close()
				return err
			}
			last, n = k, n+1
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return err
		}
		if n < migratePage {
			return nil
		}
	}
}

// sqlExecer lets pgRows write through a database/sql transaction.
type sqlExecer struct{ tx *sql.Tx }

func (s sqlExecer) Exec(ctx context.Context, q string, args ...any) (pgconn.CommandTag, error) {
	_, err := s.tx.ExecContext(ctx, q, args...)
	return pgconn.CommandTag{}, err
}
