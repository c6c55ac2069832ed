package store

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// The PostgreSQL engine keeps the store's keys and values in one table,
// kv(key bytea primary key, value bytea, expires_at timestamptz), so that
// the record code above the seam is the same as on Badger (see
// pgschema/). Transactions are SERIALIZABLE: a serialization failure or a
// deadlock is the conflict that Store.update answers by running the work
// again, as on Badger. Several processes may share the database.

//go:embed pgschema/*.sql
var pgSchema embed.FS

// pgPageMin and pgPageMax bound how many rows an iterator fetches at once:
// the first page is small (most walks stop early), later pages grow.
const (
	pgPageMin = 16
	pgPageMax = 1024
)

type pgEngine struct {
	pool *pgxpool.Pool
	// ids is a pool of its own for id leases, which are taken while a
	// transaction holds a connection of pool: from the same pool, a burst
	// of transactions could hold every connection and wait for one more.
	ids *pgxpool.Pool
	log *slog.Logger

	seqMu sync.Mutex
	seqs  map[string]*pgLease

	stop chan struct{}
	done chan struct{}
}

// pgLease is a range of ids [next, end) this process leased.
type pgLease struct{ next, end uint64 }

// openPG connects to url, migrates the schema (refusing a database of a
// newer schema) and starts the sweeper of expired keys.
func openPG(url string, logger *slog.Logger) (*pgEngine, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("ACCOUNTBOT_DATABASE_URL: %w", err)
	}
	if cfg.MaxConns < 32 {
		cfg.MaxConns = 32
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err == nil {
		err = pool.Ping(ctx)
	}
	if err != nil {
		if pool != nil {
			pool.Close()
		}
		return nil, fmt.Errorf("cannot reach the database of ACCOUNTBOT_DATABASE_URL: %w", err)
	}
	if err := migratePG(ctx, pool, logger); err != nil {
		pool.Close()
		return nil, err
	}
	icfg := cfg.Copy()
	icfg.MaxConns, icfg.MinConns = 4, 0
	ids, err := pgxpool.NewWithConfig(ctx, icfg)
	if err != nil {
		pool.Close()
		return nil, err
	}
	e := &pgEngine{pool: pool, ids: ids, log: logger, seqs: map[string]*pgLease{}, stop: make(chan struct{}), done: make(chan struct{})}
	go e.sweep()
	return e, nil
}

// migratePG applies the embedded migrations with goose, under goose's
// advisory lock so that replicas starting together migrate once.
func migratePG(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	fsys, err := fs.Sub(pgSchema, "pgschema")
	if err != nil {
		return err
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithTableName("accountbot_schema"), goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return err
	}
	cur, target, err := p.GetVersions(ctx)
	if err != nil {
		return fmt.Errorf("reading the database schema version: %w", err)
	}
	if cur > target {
		return fmt.Errorf("the database was written by a newer accountbot (schema %d, this build reads up to %d); upgrade accountbot", cur, target)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrating the database schema: %w", err)
	}
	for _, r := range res {
		logger.Info("database migrated", "version", r.Source.Version, "took", r.Duration)
	}
	return nil
}

// sweep deletes expired keys now and then; reads ignore them meanwhile.
func (e *pgEngine) sweep() {
	defer close(e.done)
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if _, err := e.pool.Exec(ctx, `DELETE FROM kv WHERE expires_at < now()`); err != nil {
			e.log.Warn("deleting expired keys", "err", err)
		}
		cancel()
		select {
		case <-e.stop:
			return
		case <-t.C:
		}
	}
}

// pgErr records what a failed statement means to the store: a lost
// serialization is a conflict, a lost connection makes the store
// unavailable.
func pgErr(err error) error {
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "40001", "40P01": // serialization_failure, deadlock_detected
			return errConflict
		case "53100", "53200", "53300", "57P01", "57P02", "57P03", "08000", "08003", "08006":
			return &unavailableError{err}
		}
		return err
	}
	if pgconn.SafeToRetry(err) || pgconn.Timeout(err) || errors.Is(err, pgx.ErrTxClosed) {
		return &unavailableError{err}
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || errors.Is(err, context.DeadlineExceeded) {
		return &unavailableError{err}
	}
	return err
}

func (e *pgEngine) run(opts pgx.TxOptions, fn func(kvTxn) error) error {
	ctx := context.Background()
	tx, err := e.pool.BeginTx(ctx, opts)
	if err != nil {
		return pgErr(err)
	}
	t := &pgTxn{tx: tx, ctx: ctx}
	err = fn(t)
	if t.err != nil {
		// A failed statement aborts the whole transaction; what fn made
		// of it matters less than the cause (often a conflict).
		err = t.err
	}
	if err != nil {
		_ = tx.Rollback(ctx)
		return err
	}
	return pgErr(tx.Commit(ctx))
}

func (e *pgEngine) update(fn func(kvTxn) error) error {
	return e.run(pgx.TxOptions{IsoLevel: pgx.Serializable}, fn)
}

// view reads one snapshot; a read-only REPEATABLE READ transaction never
// fails to serialize, like a Badger read.
func (e *pgEngine) view(fn func(kvTxn) error) error {
	return e.run(pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}

// nextID leases ids from a counter row (the same key and 8-byte value as a
// Badger sequence, so that backups carry it between engines). The lease is
// its own statement, committed before any id of it is used and outside the
// caller's transaction: a retried or failed transaction never hands an id
// back, and concurrent writers do not conflict on the counter.
func (e *pgEngine) nextID(k []byte, bandwidth uint64) (uint64, error) {
	e.seqMu.Lock()
	defer e.seqMu.Unlock()
	l := e.seqs[string(k)]
	if l == nil || l.next >= l.end {
		var end int64
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := e.ids.QueryRow(ctx, `INSERT INTO kv (key, value) VALUES ($1, int8send($2::bigint))
			ON CONFLICT (key) DO UPDATE SET value = int8send(accountbot_u64(kv.value) + $2::bigint)
			RETURNING accountbot_u64(value)`, k, int64(bandwidth)).Scan(&end)
		if err != nil {
			return 0, pgErr(err)
		}
		l = &pgLease{next: uint64(end) - bandwidth, end: uint64(end)}
		e.seqs[string(k)] = l
	}
	n := l.next
	l.next++
	return n, nil
}

// releaseIDs hands back the unused rest of each lease, unless another
// process leased after it (then the gap stays: ids are never reused).
func (e *pgEngine) releaseIDs() {
	e.seqMu.Lock()
	defer e.seqMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for k, l := range e.seqs {
		if l.next < l.end {
			if _, err := e.ids.Exec(ctx, `UPDATE kv SET value = int8send($2::bigint) WHERE key = $1 AND value = int8send($3::bigint)`,
				[]byte(k), int64(l.next), int64(l.end)); err != nil {
				e.log.Warn("releasing id sequence", "key", k, "err", err)
			}
		}
		delete(e.seqs, k)
	}
}

// dropPrefix deletes the keys in one serializable transaction, so that a
// replica writing to the same client at the same time either commits first
// (and its rows go too) or fails and retries, finding the client gone.
// The deleted rows stay in the table's files until VACUUM (see README).
func (e *pgEngine) dropPrefix(prefixes ...[]byte) error {
	for attempt := 0; ; attempt++ {
		err := e.update(func(kv kvTxn) error {
			t := kv.(*pgTxn)
			for _, p := range prefixes {
				if end := prefixEnd(p); end != nil {
					t.exec(`DELETE FROM kv WHERE key >= $1 AND key < $2`, p, end)
				} else {
					t.exec(`DELETE FROM kv WHERE key >= $1`, p)
				}
			}
			return nil
		})
		if errors.Is(err, errConflict) && attempt < 50 {
			time.Sleep(conflictBackoff(attempt))
			continue
		}
		return err
	}
}

func (e *pgEngine) batch() kvBatch { return &pgBatch{e: e} }

// load writes everything in one transaction, so that a failed restore
// (a damaged file, --force over a store in use) changes nothing.
func (e *pgEngine) load(replace bool, fill func(put func(k, v []byte, expiresAt uint64) error) error) error {
	ctx := context.Background()
	tx, err := e.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
	if err != nil {
		return pgErr(err)
	}
	defer tx.Rollback(ctx)
	if replace {
		if _, err := tx.Exec(ctx, `DELETE FROM kv`); err != nil {
			return pgErr(err)
		}
	}
	var ks, vs [][]byte
	var exps []*time.Time
	write := func() error {
		if len(ks) == 0 {
			return nil
		}
		_, err := tx.Exec(ctx, `INSERT INTO kv (key, value, expires_at)
			SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::timestamptz[])
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`, ks, vs, exps)
		ks, vs, exps = ks[:0], vs[:0], exps[:0]
		return pgErr(err)
	}
	err = fill(func(k, v []byte, exp uint64) error {
		var t *time.Time
		if exp > 0 {
			at := time.Unix(int64(exp), 0)
			t = &at
		}
		if v == nil {
			v = []byte{}
		}
		ks, vs, exps = append(ks, bytes.Clone(k)), append(vs, bytes.Clone(v)), append(exps, t)
		if len(ks) >= 1000 {
			return write()
		}
		return nil
	})
	if err == nil {
		err = write()
	}
	if err != nil {
		return err
	}
	return pgErr(tx.Commit(ctx))
}

// compact refreshes the planner's statistics after a bulk load.
func (e *pgEngine) compact() error {
	_, err := e.pool.Exec(context.Background(), `ANALYZE kv`)
	return pgErr(err)
}

func (e *pgEngine) ping() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return pgErr(e.pool.Ping(ctx))
}

func (e *pgEngine) close() error {
	close(e.stop)
	<-e.done
	e.pool.Close()
	e.ids.Close()
	return nil
}

// pgTxn is one transaction. The first failed statement is kept: it aborts
// the transaction in PostgreSQL, and run reports it.
type pgTxn struct {
	tx  pgx.Tx
	ctx context.Context
	err error
}

func (t *pgTxn) fail(err error) error {
	err = pgErr(err)
	if t.err == nil {
		t.err = err
	}
	return err
}

func (t *pgTxn) exec(q string, args ...any) {
	if t.err != nil {
		return
	}
	if _, err := t.tx.Exec(t.ctx, q, args...); err != nil {
		t.fail(err)
	}
}

func (t *pgTxn) get(k []byte) (Item, error) {
	if t.err != nil {
		return nil, t.err
	}
	var v []byte
	err := t.tx.QueryRow(t.ctx, `SELECT value FROM kv WHERE key = $1 AND (expires_at IS NULL OR expires_at > now())`, k).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, t.fail(err)
	}
	return &simpleItem{k: bytes.Clone(k), v: v}, nil
}

func (t *pgTxn) set(k, v []byte, ttl time.Duration) error {
	if v == nil {
		v = []byte{}
	}
	var exp any // NULL: never expires
	if ttl > 0 {
		exp = time.Now().Add(ttl)
	}
	t.exec(`INSERT INTO kv (key, value, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`, k, v, exp)
	return t.err
}

func (t *pgTxn) del(k []byte) error {
	t.exec(`DELETE FROM kv WHERE key = $1`, k)
	return t.err
}

func (t *pgTxn) iterator(o iterOptions) kvIterator {
	if o.prefix == nil {
		o.prefix = []byte{}
	}
	return &pgIter{t: t, o: o, end: prefixEnd(o.prefix)}
}

// pgIter walks a key range in pages; values always come with the keys
// (they are small, and a second round trip per value would cost more).
type pgIter struct {
	t    *pgTxn
	o    iterOptions
	end  []byte // first key past the prefix, nil for none
	rows []simpleItem
	pos  int
	page int
	more bool // the last page was full: there may be more rows
}

func (i *pgIter) seek(k []byte) {
	i.page = pgPageMin
	if !i.o.reverse && bytes.Compare(k, i.o.prefix) < 0 {
		k = i.o.prefix
	}
	if k == nil {
		k = []byte{} // NULL would match nothing
	}
	i.fetch(k, true)
}

// fetch reads the next page from k on (inclusive or not).
func (i *pgIter) fetch(k []byte, inclusive bool) {
	i.rows, i.pos, i.more = i.rows[:0], 0, false
	if i.t.err != nil {
		return
	}
	var q string
	args := []any{k, i.page}
	op := map[[2]bool]string{{false, true}: ">=", {false, false}: ">", {true, true}: "<=", {true, false}: "<"}[[2]bool{i.o.reverse, inclusive}]
	live := ` AND (expires_at IS NULL OR expires_at > now())`
	if i.o.reverse {
		q = `SELECT key, value, expires_at FROM kv WHERE key ` + op + ` $1 AND key >= $3`
		args = append(args, i.o.prefix)
		if i.end != nil {
			q += ` AND key < $4`
			args = append(args, i.end)
		}
		q += live + ` ORDER BY key DESC LIMIT $2`
	} else {
		q = `SELECT key, value, expires_at FROM kv WHERE key ` + op + ` $1`
		if i.end != nil {
			q += ` AND key < $3`
			args = append(args, i.end)
		}
		q += live + ` ORDER BY key LIMIT $2`
	}
	rows, err := i.t.tx.Query(i.t.ctx, q, args...)
	if err != nil {
		i.t.fail(err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var it simpleItem
		var exp *time.Time
		if err := rows.Scan(&it.k, &it.v, &exp); err != nil {
			i.t.fail(err)
			return
		}
		if exp != nil {
			it.exp = uint64(exp.Unix())
		}
		i.rows = append(i.rows, it)
	}
	if err := rows.Err(); err != nil {
		i.t.fail(err)
		i.rows = i.rows[:0]
		return
	}
	i.more = len(i.rows) == i.page
	i.page = min(i.page*4, pgPageMax)
}

func (i *pgIter) valid() bool { return i.pos < len(i.rows) }
func (i *pgIter) item() Item  { return &i.rows[i.pos] }

func (i *pgIter) next() {
	i.pos++
	if i.pos >= len(i.rows) && i.more {
		last := i.rows[len(i.rows)-1].k
		i.fetch(last, false)
	}
}

func (i *pgIter) close() {}

// pgBatch writes rows a thousand at a time, each thousand one statement.
type pgBatch struct {
	e    *pgEngine
	k, v [][]byte
	err  error
}

func (b *pgBatch) set(k, v []byte) error {
	if b.err != nil {
		return b.err
	}
	if v == nil {
		v = []byte{}
	}
	b.k, b.v = append(b.k, bytes.Clone(k)), append(b.v, bytes.Clone(v))
	if len(b.k) >= 1000 {
		b.err = b.write()
	}
	return b.err
}

func (b *pgBatch) write() error {
	if len(b.k) == 0 {
		return nil
	}
	_, err := b.e.pool.Exec(context.Background(), `INSERT INTO kv (key, value) SELECT * FROM unnest($1::bytea[], $2::bytea[])
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = NULL`, b.k, b.v)
	b.k, b.v = b.k[:0], b.v[:0]
	return pgErr(err)
}

func (b *pgBatch) flush() error {
	if b.err != nil {
		return b.err
	}
	return b.write()
}

func (b *pgBatch) cancel() { b.k, b.v = nil, nil }
