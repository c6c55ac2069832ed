package store

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// The PostgreSQL engine serves the same key-value seam as Badger, so that
// the record code above it is the same on both engines, but it keeps the
// records in real tables (people, clients, conversations, tasks, deals,
// claims) and answers the Badger store's hand-made indexes over them
// from SQL instead of storing them (engine_pg_tables.go); the other keys
// live in kv(key bytea primary key, value bytea, expires_at timestamptz).
// The schema is in pgschema/ (goose migrations) and
// engine_pg_migrate.go. Transactions are SERIALIZABLE: a serialization
// failure or a deadlock is the conflict that Store.update answers by
// running the work again, as on Badger. Several processes may share the
// database.

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

	// parked are connections whose read transaction is over and not yet
	// ended on the server (see park); owed wakes endOwed when one owes
	// its COMMIT.
	parked chan *pgParked
	owed   chan struct{}
	// holds counts the read transactions requests hold (hold).
	holds chan struct{}
	// trips counts the round trips that waited for the server's answer
	// (tests of what a store call costs).
	trips atomic.Int64
	// memo is what requests read first, for the next ones' guesses
	// (engine_pg_guess.go).
	memo pgMemo

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
	if _, set := cfg.ConnConfig.RuntimeParams["plan_cache_mode"]; !set {
		// The engine's statements are prepared once per connection and
		// their best plans do not depend on the values (a key range, an
		// owner, a client: an index walk). PostgreSQL's default plans a
		// statement afresh at every run when its generic plan's estimate
		// is worse than the custom ones' — as it always is for a key
		// range — and planning a short read costs two or three times
		// running it. The URL may still say otherwise
		// (?plan_cache_mode=auto).
		cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_generic_plan"
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
	e := &pgEngine{pool: pool, ids: ids, log: logger, seqs: map[string]*pgLease{}, parked: make(chan *pgParked, 8), owed: make(chan struct{}, 1), holds: make(chan struct{}, max(1, cfg.MaxConns/2)), stop: make(chan struct{}), done: make(chan struct{})}
	go e.sweep()
	go e.endOwed()
	return e, nil
}

// migratePG applies the embedded migrations with goose, under goose's
// advisory lock so that replicas starting together migrate once.
func migratePG(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	return migratePGTo(ctx, pool, logger, 0)
}

// migratePGTo migrates up to version upTo (0: the newest), for tests of
// databases made by older versions.
func migratePGTo(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger, upTo int64) error {
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
		goose.WithDisableGlobalRegistry(true), goose.WithGoMigrations(pgMoveToTables, pgAudienceColumns, pgStoredEntries))
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
	var res []*goose.MigrationResult
	if upTo > 0 {
		res, err = p.UpTo(ctx, upTo)
	} else {
		res, err = p.Up(ctx)
	}
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
	defer func() { e.done <- struct{}{} }()
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

// run runs fn in one transaction on a connection of its own. The
// transaction is begun lazily and its statements are pipelined: BEGIN
// goes out with the first read, writes wait for the next read or the
// commit and go out with it, so that a transaction costs a round trip
// per read plus one for the commit (a /log's write transaction three in
// all, instead of one per statement). Reads still see the transaction's
// own writes: the writes before a read reach the server before the read,
// in the same pipeline.
func (e *pgEngine) run(begin string, readOnly bool, fn func(kvTxn) error) error {
	ctx := context.Background()
	conn, err := e.acquire(ctx)
	if err != nil {
		return pgErr(err)
	}
	t := &pgTxn{conn: conn.conn, ctx: ctx, begin: begin, trips: &e.trips, memo: &e.memo, owed: conn.owed, parkedAt: conn.at}
	if err = e.finish(t, readOnly, fn(t)); !t.lost {
		return err
	}
	// The parked connection was gone (a restarted server, a killed
	// backend) before anything of this transaction ran: run it on a
	// connection of the pool, which checks the ones it hands out.
	c, err := e.pool.Acquire(ctx)
	if err != nil {
		return pgErr(err)
	}
	t = &pgTxn{conn: c, ctx: ctx, begin: begin, trips: &e.trips, memo: &e.memo}
	return e.finish(t, readOnly, fn(t))
}

// finish ends the transaction t that fn ran, whose answer was err: a
// read is parked, a write committed (or rolled back after an error). A
// transaction that lost its connection (lost) gives it up.
func (e *pgEngine) finish(t *pgTxn, readOnly bool, err error) error {
	if t.lost {
		_ = t.conn.Conn().Close(t.ctx)
		t.conn.Release()
		return err
	}
	if t.err != nil {
		// A failed statement aborts the whole transaction; what fn made
		// of it matters less than the cause (often a conflict).
		err = t.err
	}
	if readOnly && len(t.pending) == 0 && t.begun && t.err == nil {
		// What fn read is one snapshot whatever becomes of the end of
		// the transaction (a read-only REPEATABLE READ transaction cannot
		// fail to serialize), so the caller does not wait for it: its
		// COMMIT goes out with the next transaction on the connection
		// (park).
		e.park(t.conn, time.Now())
		return err
	}
	if t.idle() {
		e.park(t.conn, t.parkedAt) // it sent nothing: the COMMIT is still owed
		return err
	}
	if err != nil {
		t.rollback()
		t.conn.Release()
		return err
	}
	err = t.commit()
	t.conn.Release()
	return err
}

// pgParked is a connection whose read transaction is over but not yet
// ended on the server. Its COMMIT is owed (p is nil): it goes out at the
// head of the next transaction's first round trip on the connection; or,
// for one parked longer than pgOwedMax, it was sent and is not answered
// yet (p).
type pgParked struct {
	conn *pgxpool.Conn
	p    *pgconn.Pipeline
	at   time.Time // when the transaction was over
}

// pgOwedMax is how long a parked connection may owe its COMMIT before
// endOwed sends it (which looks every pgOwedMax: up to about twice that
// in all). Meanwhile its snapshot keeps VACUUM from removing the rows
// deleted after it and its locks (ACCESS SHARE of the tables it read)
// keep DDL waiting; with requests coming, the next one ends it long
// before.
const pgOwedMax = 100 * time.Millisecond

// park keeps conn, whose read transaction is over (at), for the next
// transaction, which ends it with its first round trip: a read then costs
// the server no message and no wake-up of its own for its COMMIT. With too
// many parked already, conn's COMMIT is sent and waited for, and conn goes
// back to the pool.
func (e *pgEngine) park(conn *pgxpool.Conn, at time.Time) {
	pk := &pgParked{conn: conn, at: at}
	select {
	case e.parked <- pk:
		select {
		case e.owed <- struct{}{}:
		default:
		}
	default:
		e.unpark(pk)
		conn.Release()
	}
}

// sendCommit sends pk's owed COMMIT without waiting for its answer; a
// connection that cannot take it is closed (the pool then drops it).
func (e *pgEngine) sendCommit(pk *pgParked) {
	p := pk.conn.Conn().PgConn().StartPipeline(context.Background())
	p.SendQueryParams("COMMIT", nil, nil, nil, nil)
	p.SendPipelineSync()
	pk.p = p
	if err := p.Flush(); err != nil {
		_ = pk.conn.Conn().Close(context.Background())
	}
}

// unpark ends pk's transaction (its COMMIT sent if owed, the answer
// read); a connection that fails to is closed (the pool then drops it).
// It reports whether the connection is fit for use.
func (e *pgEngine) unpark(pk *pgParked) bool {
	if pk.p == nil {
		e.sendCommit(pk)
	}
	if err := pk.p.Close(); err != nil || pk.conn.Conn().PgConn().TxStatus() != 'I' {
		_ = pk.conn.Conn().Close(context.Background())
		return false
	}
	return true
}

// endOwed sends the COMMIT of the connections that owe theirs longer
// than pgOwedMax (an idle bot), and sleeps while none is parked.
func (e *pgEngine) endOwed() {
	defer func() { e.done <- struct{}{} }()
	for {
		select {
		case <-e.stop:
			return
		case <-e.owed:
		}
		select {
		case <-e.stop:
			return
		case <-time.After(pgOwedMax):
		}
		again := false
		for n := len(e.parked); n > 0; n-- {
			var pk *pgParked
			select {
			case pk = <-e.parked:
			default:
			}
			if pk == nil {
				break
			}
			if pk.p == nil {
				if time.Since(pk.at) >= pgOwedMax {
					e.sendCommit(pk)
				} else {
					again = true
				}
			}
			select {
			case e.parked <- pk:
			default:
				e.unpark(pk)
				pk.conn.Release()
			}
		}
		if again {
			select {
			case e.owed <- struct{}{}:
			default:
			}
		}
	}
}

// pgConn is a connection for a transaction: owed says it still owes the
// COMMIT of the read transaction that was over at at (pgParked).
type pgConn struct {
	conn *pgxpool.Conn
	owed bool
	at   time.Time
}

// acquire takes a parked connection, or one of the pool.
func (e *pgEngine) acquire(ctx context.Context) (pgConn, error) {
	for {
		select {
		case pk := <-e.parked:
			if pk.p == nil {
				return pgConn{pk.conn, true, pk.at}, nil
			}
			if e.unpark(pk) {
				return pgConn{conn: pk.conn}, nil
			}
			pk.conn.Release()
		default:
			c, err := e.pool.Acquire(ctx)
			return pgConn{conn: c}, err
		}
	}
}

func (e *pgEngine) update(fn func(kvTxn) error) error {
	return e.run(`BEGIN ISOLATION LEVEL SERIALIZABLE`, false, fn)
}

// updateDerived is update with synchronous_commit off for the one
// transaction: the commit is answered before it is flushed to the disk
// (a crash may lose it, never half of it; engine.go derivedUpdater).
func (e *pgEngine) updateDerived(fn func(kvTxn) error) error {
	return e.run(`BEGIN ISOLATION LEVEL SERIALIZABLE`, false, func(kv kvTxn) error {
		kv.(*pgTxn).exec(`SET LOCAL synchronous_commit TO OFF`)
		return fn(kv)
	})
}

// view reads one snapshot; a read-only REPEATABLE READ transaction never
// fails to serialize, like a Badger read.
func (e *pgEngine) view(fn func(kvTxn) error) error {
	return e.run(`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`, true, fn)
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
				if pgIndexOf(p) != nil {
					continue // derived: goes with its records
				}
				tables := []string{"kv"}
				if tb := pgTableOf(p); tb != nil {
					tables = []string{tb.name}
				} else {
					for _, tb := range pgTables {
						if overlaps(p, tb.prefix) {
							tables = append(tables, tb.name)
						}
					}
				}
				for _, name := range tables {
					if end := prefixEnd(p); end != nil {
						t.exec(`DELETE FROM `+name+` WHERE key >= $1 AND key < $2`, p, end)
					} else {
						t.exec(`DELETE FROM `+name+` WHERE key >= $1`, p)
					}
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
		for _, name := range pgTableNames() {
			if _, err := tx.Exec(ctx, `DELETE FROM `+name); err != nil {
				return pgErr(err)
			}
		}
	}
	rows := newPGRows()
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
		if pgIndexOf(k) != nil {
			return nil // derived from the records
		}
		if tb := pgTableOf(k); tb != nil {
			return rows.add(ctx, tx, tb, k, v)
		}
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
	if err == nil {
		err = rows.flush(ctx, tx)
	}
	if err != nil {
		return err
	}
	return pgErr(tx.Commit(ctx))
}

// compact refreshes the planner's statistics after a bulk load and marks
// the loaded pages all-visible, as autovacuum eventually would: reads
// that an index answers alone (a team's first names) then skip the table.
func (e *pgEngine) compact() error {
	for _, name := range pgTableNames() {
		if _, err := e.pool.Exec(context.Background(), `VACUUM (ANALYZE) `+name); err != nil {
			return pgErr(err)
		}
	}
	return nil
}

func (e *pgEngine) ping() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return pgErr(e.pool.Ping(ctx))
}

func (e *pgEngine) close() error {
	close(e.stop)
	<-e.done
	<-e.done
	for {
		select {
		case pk := <-e.parked:
			e.unpark(pk)
			pk.conn.Release()
			continue
		default:
		}
		break
	}
	e.pool.Close()
	e.ids.Close()
	return nil
}

// pgTxn is one transaction. The first failed statement is kept: it aborts
// the transaction in PostgreSQL, and run reports it.
type pgTxn struct {
	conn  *pgxpool.Conn
	ctx   context.Context
	begin string
	begun bool // BEGIN was sent
	// owed says the connection still owes the COMMIT of a read
	// transaction over at parkedAt (pgParked): it goes out first. lost
	// says that COMMIT failed in the transaction's first read, before
	// any statement of the transaction ran: the connection is gone.
	owed     bool
	parkedAt time.Time
	lost     bool
	// pending are the writes not sent yet, in order.
	pending []pgStmt
	// cache is what the transaction read (engine_pg_cache.go).
	cache pgTxnCache
	// reads counts the statements that waited for the server's answer
	// (tests of the cache).
	reads int
	// trips is the engine's count of round trips, nil for none.
	trips *atomic.Int64
	// held marks a request's held read transaction, the only kind that
	// may start from a guess; memo is the engine's (engine_pg_guess.go).
	held bool
	memo *pgMemo
	// checks are the statements that confirm the guess the transaction
	// started from, sent at the head of its next round trip; wrong is set
	// when the server contradicted it.
	checks []pgRead
	wrong  bool
	guess  atomic.Int32 // a pgGuess, read by a settle without the transaction
	err    error
}

// pgStmt is a statement waiting to be sent.
type pgStmt struct {
	sql  string
	args []any
}

func (t *pgTxn) fail(err error) error {
	err = pgErr(err)
	if t.err == nil {
		t.err = err
	}
	return err
}

// exec queues a write; it goes out with the next read or the commit.
func (t *pgTxn) exec(q string, args ...any) {
	if t.err != nil {
		return
	}
	t.pending = append(t.pending, pgStmt{q, args})
}

// queue puts BEGIN (the first time) and the pending writes in b and
// returns how many statements it queued.
func (t *pgTxn) queue(b *pgx.Batch) int {
	n := 0
	if t.owed {
		b.Queue("COMMIT")
		t.owed = false
		n++
	}
	if !t.begun {
		b.Queue(t.begin)
		t.begun = true
		n++
	}
	for _, p := range t.pending {
		b.Queue(p.sql, p.args...)
		n++
	}
	t.pending = t.pending[:0]
	return n
}

// query sends what is queued and q in one round trip and calls scan with
// q's rows.
func (t *pgTxn) query(q string, args []any, scan func(pgx.Rows) error) error {
	return t.queryAll([]pgRead{{q, args, scan}})
}

// pgRead is one read statement of a round trip and what takes its rows.
type pgRead struct {
	sql  string
	args []any
	scan func(pgx.Rows) error
}

// queryAll sends what is queued and every read in one round trip (one
// pipeline) and calls each read's scan with its rows, in order.
func (t *pgTxn) queryAll(reads []pgRead) error {
	if t.err != nil {
		return t.err
	}
	t.reads++
	if t.trips != nil {
		t.trips.Add(1)
	}
	// A guess is confirmed by the first round trip after it, its
	// statements first: when they contradict it, none of the rows after
	// them is read (engine_pg_guess.go).
	checks := len(t.checks)
	if checks > 0 {
		reads = append(t.checks, reads...)
		t.checks = nil
	}
	b := &pgx.Batch{}
	owed := t.owed
	n := t.queue(b)
	for _, r := range reads {
		b.Queue(r.sql, r.args...)
	}
	br := t.conn.SendBatch(t.ctx, b)
	for i := range n {
		if _, err := br.Exec(); err != nil {
			br.Close()
			// A read's batch holds no COMMIT of this transaction: when
			// the owed one is what failed, none of it ran.
			t.lost = owed && i == 0
			return t.fail(err)
		}
	}
	var err error
	for i, r := range reads {
		var rows pgx.Rows
		if rows, err = br.Query(); err != nil {
			break
		}
		err = r.scan(rows)
		rows.Close()
		if err == nil {
			err = rows.Err()
		}
		if err == nil && i == checks-1 {
			if t.wrong {
				t.guess.Store(int32(guessWrong))
				t.memo.reset()
				err = errGuessed
			} else {
				t.guess.Store(int32(guessConfirmed))
			}
		}
		if err != nil {
			break
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return t.fail(err)
	}
	return nil
}

// commit sends the pending writes and COMMIT in one round trip.
func (t *pgTxn) commit() error {
	if !t.begun && len(t.pending) == 0 {
		return nil // nothing was read or written
	}
	if t.trips != nil {
		t.trips.Add(1)
	}
	b := &pgx.Batch{}
	owed := t.owed
	n := t.queue(b)
	b.Queue("COMMIT")
	br := t.conn.SendBatch(t.ctx, b)
	var err error
	for i := range n {
		if _, err = br.Exec(); err != nil {
			// This batch holds the transaction's COMMIT: only when the
			// server refused the owed one first (or nothing was sent) is
			// it sure that none of the rest ran.
			var pe *pgconn.PgError
			t.lost = owed && i == 0 && (pgconn.SafeToRetry(err) || errors.As(err, &pe))
			break
		}
	}
	if err == nil {
		var tag pgconn.CommandTag
		if tag, err = br.Exec(); err == nil && tag.String() == "ROLLBACK" {
			err = errConflict // the server rolled back instead (an earlier failure)
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.rollback()
		return pgErr(err)
	}
	return nil
}

// idle reports that the transaction sent nothing: the connection is as
// it was acquired.
func (t *pgTxn) idle() bool { return t.owed && !t.begun && len(t.pending) == 0 && t.err == nil }

// rollback ends a begun transaction (or the one the connection still
// owes a COMMIT); a connection that cannot is closed, and the pool drops
// it.
func (t *pgTxn) rollback() {
	t.pending = nil
	if !t.begun && !t.owed {
		return
	}
	t.begun, t.owed = false, false
	if _, err := t.conn.Exec(t.ctx, "ROLLBACK"); err != nil {
		_ = t.conn.Conn().Close(t.ctx)
	}
}

// getByTail looks for the derived entry k among the entries of the record
// whose id ends k. It reports false when that record does not make k (or
// there is none): the caller then searches k's group, which is always
// right, so this is only a shortcut.
func (t *pgTxn) getByTail(x *pgIndex, k []byte) (Item, bool, error) {
	if len(k) < len(x.prefix)+8 {
		return nil, false, nil
	}
	rk := key(x.table.prefix, tailID(k))
	var r pgGroupRow
	if c, ok := t.cache.row(rk); ok && x.sel == "" {
		// The record was read already (by a get or an index page).
		if c.missing {
			return nil, false, nil
		}
		r.data = c.v
	} else {
		found := false
		err := t.query(`SELECT `+x.cols()+` FROM `+x.table.name+` WHERE key = $1`, []any{rk}, func(rows pgx.Rows) error {
			if rows.Next() {
				found = true
				return rows.Scan(&r.data, &r.raw, &r.ents)
			}
			return nil
		})
		if err != nil {
			return nil, false, err
		}
		if x.readsRecords() {
			v := r.data
			if r.raw != nil {
				v = r.raw
			}
			t.cache.keep(rk, v, !found)
		}
		if !found {
			return nil, false, nil
		}
	}
	for _, e := range x.rowEntries(r) {
		if bytes.Equal(e.k, k) {
			return &simpleItem{k: bytes.Clone(k), v: e.v}, true, nil
		}
	}
	return nil, false, nil
}

func (t *pgTxn) get(k []byte) (Item, error) {
	if t.err != nil {
		return nil, t.err
	}
	if x := pgIndexOf(k); x != nil {
		if e, ok := t.cache.tailEntry(x, k); ok {
			// The record's entries were read ahead by key.
			return &simpleItem{k: bytes.Clone(k), v: e.v}, nil
		}
		g, grouped := groupOf(x, k)
		if grouped {
			es, whole := t.cache.group(g)
			if p, ok := partOf(x, k); ok && !whole {
				// A part read whole holds every entry of the part.
				es, whole = t.cache.group(p)
			}
			if !whole && t.cache.tails[g] > 0 {
				// A second entry of one group (a page of a manager's
				// clients, one brief each): read the group once.
				var err error
				if es, err = t.readGroup(g); err != nil {
					return nil, err
				}
				whole = true
			}
			if whole {
				if e, ok := findEntry(es, k); ok {
					return &simpleItem{k: bytes.Clone(k), v: e.v}, nil
				}
				return nil, errNotFound
			}
			if t.cache.tails == nil {
				t.cache.tails = map[pgGroupKey]int{}
			}
			t.cache.tails[g]++
		}
		// Most entries end with their record's id: try that one record
		// first, so that a get of one entry reads one row, not its whole
		// group (a manager's page of clients read each client's brief
		// through its owner's group of 250 records).
		if it, ok, err := t.getByTail(x, k); err != nil || ok {
			return it, err
		}
		// A derived entry: the first entry at or after k under k.
		it := &pgIdxIter{t: t, x: x, lo: k, hi: prefixEnd(k)}
		it.seek(k)
		if t.err != nil {
			return nil, t.err
		}
		if it.valid() && bytes.Equal(it.item().Key(), k) {
			return it.item(), nil
		}
		return nil, errNotFound
	}
	if c, ok := t.cache.row(k); ok {
		if c.missing {
			return nil, errNotFound
		}
		return &simpleItem{k: bytes.Clone(k), v: c.v}, nil
	}
	if t.cache.covered(k) {
		return nil, errNotFound // under a prefix read whole, and not in it
	}
	q := `SELECT value, NULL::bytea FROM kv WHERE key = $1 AND (expires_at IS NULL OR expires_at > now())`
	if tb := pgTableOf(k); tb != nil {
		q = `SELECT data_text, raw FROM ` + tb.name + ` WHERE key = $1`
	}
	var v, raw []byte
	found := false
	err := t.query(q, []any{k}, func(rows pgx.Rows) error {
		if rows.Next() {
			found = true
			return rows.Scan(&v, &raw)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if raw != nil {
		v = raw
	}
	t.cache.keep(k, v, !found)
	if !found {
		return nil, errNotFound
	}
	return &simpleItem{k: bytes.Clone(k), v: v}, nil
}

func (t *pgTxn) set(k, v []byte, ttl time.Duration) error {
	if pgIndexOf(k) != nil {
		return t.err // derived from the record: SQL answers it
	}
	t.cache.wrote(k)
	if t.memo != nil && pgGuessable(k) {
		t.memo.reset()
	}
	if tb := pgTableOf(k); tb != nil {
		t.exec(pgUpserts[tb], tb.args(k, v)...)
		return t.err
	}
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
	if pgIndexOf(k) != nil {
		return t.err
	}
	t.cache.wrote(k)
	if t.memo != nil && pgGuessable(k) {
		t.memo.reset()
	}
	if tb := pgTableOf(k); tb != nil {
		t.exec(`DELETE FROM `+tb.name+` WHERE key = $1`, k)
		return t.err
	}
	// A kv row is deleted blind, as a tombstone (expired since ever: every
	// read skips it, the sweep removes it). A DELETE finds its row by an
	// index scan, and under SERIALIZABLE that scan takes a SIREAD lock on
	// the whole btree page, so that every concurrent insert of a
	// neighbouring key (the stale indexes csl/ and csr/ of the same owner,
	// the health marks hd/ that /log sets and the recompute deletes)
	// conflicts with the deleter although the rows differ. An upsert's
	// conflict check takes no SIREAD lock, and writing the row still
	// conflicts, as the DELETE did, with every transaction that read
	// this row (its tuple lock) or changed it concurrently, so the
	// transactions that touch the same key serialize exactly as before.
	// The tombstone also spares the next write of the key (the client's
	// next health mark) a new index entry.
	t.exec(`INSERT INTO kv (key, value, expires_at) VALUES ($1, '', '-infinity')
		ON CONFLICT (key) DO UPDATE SET value = '', expires_at = '-infinity'`, k)
	return t.err
}

// iterator merges, in key order, every place keys under the prefix live:
// kv (unless a table or an index owns the prefix), the record tables and
// the derived indexes whose prefixes meet it. A scan under one kind's
// prefix has a single source.
func (t *pgTxn) iterator(o iterOptions) kvIterator {
	if o.prefix == nil {
		o.prefix = []byte{}
	}
	end := prefixEnd(o.prefix)
	if items, ok := t.cache.scan(o.prefix); ok {
		return &pgMemIter{items: items, prefix: o.prefix, end: end, reverse: o.reverse, pos: -1}
	}
	var srcs []pgSource
	if !pgOwned(o.prefix) {
		srcs = append(srcs, &pgIter{t: t, o: o, end: end, table: "kv"})
	}
	for _, tb := range pgTables {
		if overlaps(o.prefix, tb.prefix) {
			srcs = append(srcs, &pgIter{t: t, o: o, end: end, table: tb.name, small: tb.small})
		}
	}
	for _, x := range pgIndexes {
		if overlaps(o.prefix, x.prefix) {
			srcs = append(srcs, &pgIdxIter{t: t, x: x, lo: o.prefix, hi: end, reverse: o.reverse})
		}
	}
	if len(srcs) == 1 {
		if it, ok := srcs[0].(*pgIter); ok {
			it.solo = true
		}
		return srcs[0]
	}
	return &pgMerge{srcs: srcs, reverse: o.reverse, cur: -1}
}

// pgSource is one ordered source of keys; a kvIterator without close.
type pgSource interface {
	seek(k []byte)
	valid() bool
	item() Item
	next()
	close()
}

// pgMerge walks several sources with disjoint keys as one.
type pgMerge struct {
	srcs    []pgSource
	reverse bool
	cur     int
}

func (m *pgMerge) seek(k []byte) {
	for _, s := range m.srcs {
		s.seek(k)
	}
	m.pick()
}

func (m *pgMerge) pick() {
	m.cur = -1
	var best []byte
	for i, s := range m.srcs {
		if !s.valid() {
			continue
		}
		k := s.item().Key()
		if m.cur < 0 || (!m.reverse && bytes.Compare(k, best) < 0) || (m.reverse && bytes.Compare(k, best) > 0) {
			m.cur, best = i, k
		}
	}
}

func (m *pgMerge) valid() bool { return m.cur >= 0 }
func (m *pgMerge) item() Item  { return m.srcs[m.cur].item() }
func (m *pgMerge) next() {
	m.srcs[m.cur].next()
	m.pick()
}
func (m *pgMerge) close() {}

// pgIter walks a key range of kv or of a record table in pages; values
// always come with the keys (they are small, and a second round trip per
// value would cost more).
type pgIter struct {
	t     *pgTxn
	o     iterOptions
	table string
	end   []byte // first key past the prefix, nil for none
	rows  []simpleItem
	pos   int
	page  int
	more  bool // the last page was full: there may be more rows
	small bool // a table read whole: the first page is the biggest
	// solo says the iterator is the only source of keys under its
	// prefix, so that a first page that holds them all is the whole
	// prefix.
	solo bool
}

func (i *pgIter) seek(k []byte) {
	i.page = pgPageMin
	if i.small {
		i.page = pgPageMax
	}
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
	q, args := i.sql(k, inclusive)
	if err := i.t.query(q, args, i.scanRows); err != nil {
		i.rows = i.rows[:0]
		return
	}
	i.more = len(i.rows) == i.page
	whole := i.solo && !i.more && !i.o.reverse && bytes.Equal(k, i.o.prefix) && inclusive
	i.page = min(i.page*4, pgPageMax)
	if whole {
		// The first page held every key under the prefix: a later walk
		// of it in this transaction reads none.
		i.t.cache.keepScan(i.o.prefix, i.rows)
	}
}

// sql is the statement of the page from k on (inclusive or not).
func (i *pgIter) sql(k []byte, inclusive bool) (string, []any) {
	var q string
	args := []any{k, i.page}
	op := map[[2]bool]string{{false, true}: ">=", {false, false}: ">", {true, true}: "<=", {true, false}: "<"}[[2]bool{i.o.reverse, inclusive}]
	sel, live := `SELECT key, value, expires_at FROM kv`, ` AND (expires_at IS NULL OR expires_at > now())`
	if i.table != "kv" {
		sel, live = `SELECT key, COALESCE(raw, convert_to(data_text, 'UTF8')), NULL::timestamptz FROM `+i.table, ``
	}
	if i.o.reverse {
		q = sel + ` WHERE key ` + op + ` $1 AND key >= $3`
		args = append(args, i.o.prefix)
		if i.end != nil {
			q += ` AND key < $4`
			args = append(args, i.end)
		}
		q += live + ` ORDER BY key DESC LIMIT $2`
	} else {
		q = sel + ` WHERE key ` + op + ` $1`
		if i.end != nil {
			q += ` AND key < $3`
			args = append(args, i.end)
		}
		q += live + ` ORDER BY key LIMIT $2`
	}
	return q, args
}

// scanRows appends a page's rows.
func (i *pgIter) scanRows(rows pgx.Rows) error {
	for rows.Next() {
		var it simpleItem
		var exp *time.Time
		if err := rows.Scan(&it.k, &it.v, &exp); err != nil {
			return err
		}
		if exp != nil {
			it.exp = uint64(exp.Unix())
		}
		i.rows = append(i.rows, it)
	}
	return nil
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

// pgIdxIter walks a derived index: pages of the record table's rows in
// the order of the index's group column (on its SQL index), each page
// ending at a whole group, turned into entries and sorted within the
// page. Entries outside [lo, hi) or before the seek key are left out.
type pgIdxIter struct {
	t       *pgTxn
	x       *pgIndex
	lo, hi  []byte // the iterator's range; hi nil for none
	reverse bool
	from    []byte // the seek key
	cursor  groupBound
	ents    []kvEntry
	item_   simpleItem
	pos     int
	page    int
	more    bool
	// past, once the walk took the first entries of its group that
	// readFirst read, is the last of them: the rest of the walk is what
	// comes after it.
	past []byte
}

func (i *pgIdxIter) seek(k []byte) {
	i.page = pgPageMin
	i.past = nil
	if !i.reverse && bytes.Compare(k, i.lo) < 0 {
		k = i.lo
	}
	i.from = bytes.Clone(k)
	if i.reverse && i.hi != nil && bytes.Compare(k, i.hi) >= 0 {
		// Nothing at or after the range's end is in range: bound by the
		// end itself, exclusive, so that a range of one group reads that
		// group alone (a seek at the next group's first key would take it
		// in too).
		i.cursor = i.x.upperBound(i.hi, false)
	} else if i.reverse {
		i.cursor = i.x.upperBound(k, true)
	} else {
		i.cursor = i.x.lowerBound(k)
	}
	i.more = true
	i.ents, i.pos = i.ents[:0], 0
	i.fill()
}

// fill fetches pages until one has an entry in range or none is left.
func (i *pgIdxIter) fill() {
	for i.pos >= len(i.ents) && i.more && i.t.err == nil {
		i.fetch()
	}
}

// pgGroupRow is one row of an index page: the index's two columns (the
// record, or what sel reads), the stored entries (stored indexes), the
// record's key and its group.
type pgGroupRow struct {
	data, raw, ents, key []byte
	g                    any
}

func (i *pgIdxIter) fetch() {
	i.ents, i.pos = i.ents[:0], 0
	var other groupBound // the far end: the iterator's range
	if i.reverse {
		other = i.x.lowerBound(i.lo)
	} else if i.hi != nil {
		other = i.x.upperBound(i.hi, false)
	} else {
		other = groupBound{none: true}
	}
	if i.cursor.empty || other.empty {
		i.more = false
		return
	}
	x := i.x
	if g, ok := i.singleGroup(other); ok {
		// The range is one group (a person's clients, a client's deals):
		// its rows are read whole, in one statement (a page of it would
		// be followed by the rest), or not at all when the transaction
		// has it already.
		i.more = false
		es, cached := i.t.cache.group(g)
		part, inPart := i.part()
		if !cached && inPart {
			es, cached = i.t.cache.group(part)
		}
		if f, ok := i.t.cache.firsts[g]; !cached && ok && !i.reverse && i.past == nil {
			// The group's first entries were read ahead (readFirst): a
			// walk that wants more than them reads the rest afterwards.
			for _, e := range f.ents {
				if i.inRange(e.k) {
					i.ents = append(i.ents, e)
				}
			}
			i.more, i.past = true, f.upto
			return
		}
		if !cached {
			// A walk within one part of its group (a person's open
			// claims) reads that part only.
			if inPart {
				g = part
			}
			var err error
			if es, err = i.t.readGroup(g); err != nil {
				return
			}
		}
		for _, e := range es {
			if i.inRange(e.k) && (i.past == nil || bytes.Compare(e.k, i.past) > 0) {
				i.ents = append(i.ents, e)
			}
		}
		sortEntries(i.ents, i.reverse)
		return
	}
	where := []string{x.group + " IS NOT NULL"}
	var args []any
	for _, b := range []groupBound{i.cursor, other} {
		if !b.none {
			args = append(args, b.val)
			where = append(where, x.group+" "+b.op+" $"+itoa(uint64(len(args))))
		}
	}
	if x.filter != "" {
		where = append(where, "("+x.filter+")")
	}
	order := x.group
	if i.reverse {
		order += " DESC"
	}
	args = append(args, i.page)
	q := `SELECT ` + x.cols() + `, key, ` + x.group + ` FROM ` + x.table.name + ` WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY ` + order + ` LIMIT $` + itoa(uint64(len(args)))
	rows, err := i.t.indexRows(x, q, args...)
	if err != nil {
		return
	}
	full := len(rows) == i.page
	i.page = min(i.page*4, pgPageMax)
	if full {
		last := rows[len(rows)-1].g
		if pgSameGroup(rows[0].g, last) {
			// One group fills the page: read the whole group.
			w := []string{x.group + " = $1"}
			if x.filter != "" {
				w = append(w, "("+x.filter+")")
			}
			if rows, err = i.t.indexRows(x, `SELECT `+x.cols()+`, key, `+x.group+` FROM `+x.table.name+` WHERE `+strings.Join(w, " AND "), last); err != nil {
				return
			}
			op := ">"
			if i.reverse {
				op = "<"
			}
			i.cursor = groupBound{val: last, op: op}
		} else {
			// The last group may go on in the next page: leave it to it.
			n := len(rows)
			for n > 0 && pgSameGroup(rows[n-1].g, last) {
				n--
			}
			rows = rows[:n]
			op := ">="
			if i.reverse {
				op = "<="
			}
			i.cursor = groupBound{val: last, op: op}
		}
	}
	i.more = full
	// Every group the rows hold is whole now (a group cut off at the end
	// of a full page was left to the next page): a get of one of its
	// entries later in the transaction needs no statement.
	var whole map[int64][]kvEntry
	for _, r := range rows {
		es := x.rowEntries(r)
		if g, ok := r.g.(int64); ok && x.kind == groupID {
			if whole == nil {
				whole = map[int64][]kvEntry{}
			}
			whole[g] = append(whole[g], es...)
		}
		for _, e := range es {
			if i.inRange(e.k) {
				i.ents = append(i.ents, e)
			}
		}
	}
	for g, es := range whole {
		i.t.cache.keepGroup(pgGroupKey{x: x, g: g}, es)
	}
	sortEntries(i.ents, i.reverse)
}

// inRange reports whether the entry key k is in the iterator's range and
// not before its seek key.
func (i *pgIdxIter) inRange(k []byte) bool {
	if bytes.Compare(k, i.lo) < 0 || (i.hi != nil && bytes.Compare(k, i.hi) >= 0) {
		return false
	}
	if i.reverse {
		return bytes.Compare(k, i.from) <= 0
	}
	return bytes.Compare(k, i.from) >= 0
}

// part returns the part of its group (the index's parts) that the
// walk's range stays within.
func (i *pgIdxIter) part() (pgGroupKey, bool) {
	n := len(i.x.prefix) + 9
	if i.x.parts == nil || len(i.lo) < n || i.hi == nil {
		return pgGroupKey{}, false
	}
	p, ok := partOf(i.x, i.lo)
	if end := prefixEnd(i.lo[:n]); !ok || end == nil || bytes.Compare(i.hi, end) > 0 {
		return pgGroupKey{}, false
	}
	return p, true
}

// singleGroup reports whether the rows left between the cursor and the
// far end of the range other are those of one group of an index grouped
// by id, and which.
func (i *pgIdxIter) singleGroup(other groupBound) (pgGroupKey, bool) {
	if i.x.kind != groupID || i.cursor.none || other.none {
		return pgGroupKey{}, false
	}
	a, ok1 := i.cursor.val.(int64)
	b, ok2 := other.val.(int64)
	if !ok1 || !ok2 {
		return pgGroupKey{}, false
	}
	lo, hi := i.cursor, other
	if i.reverse {
		lo, hi, a, b = other, i.cursor, b, a
	}
	// lo is a ">=" bound at a (">" leaves the group a behind), hi a "<"
	// or "<=" bound at b.
	if lo.op != ">=" {
		return pgGroupKey{}, false
	}
	if (hi.op == "<=" && b == a) || (hi.op == "<" && b == a+1) {
		return pgGroupKey{x: i.x, g: a}, true
	}
	return pgGroupKey{}, false
}

// pgSameGroup compares two group values of one kind.
func pgSameGroup(a, b any) bool {
	if ta, ok := a.(time.Time); ok {
		return ta.Equal(b.(time.Time))
	}
	return a == b
}

func (i *pgIdxIter) valid() bool { return i.pos < len(i.ents) }
func (i *pgIdxIter) item() Item {
	e := i.ents[i.pos]
	i.item_ = simpleItem{k: e.k, v: e.v}
	return &i.item_
}
func (i *pgIdxIter) next() {
	i.pos++
	i.fill()
}
func (i *pgIdxIter) close() {}

// pgBatch writes rows a thousand at a time, each thousand one statement.
type pgBatch struct {
	e    *pgEngine
	k, v [][]byte
	rows *pgRows
	err  error
}

func (b *pgBatch) set(k, v []byte) error {
	if b.err != nil {
		return b.err
	}
	if pgIndexOf(k) != nil {
		return nil
	}
	if tb := pgTableOf(k); tb != nil {
		if b.rows == nil {
			b.rows = newPGRows()
		}
		b.err = b.rows.add(context.Background(), b.e.pool, tb, k, v)
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
	if b.rows != nil {
		if err := b.rows.flush(context.Background(), b.e.pool); err != nil {
			return err
		}
	}
	return b.write()
}

func (b *pgBatch) cancel() { b.k, b.v = nil, nil }

// pgHeld is a read transaction a request keeps for its reads
// (snapshot.go), on a connection of its own until the request ends or
// writes.
type pgHeld struct {
	e *pgEngine
	t *pgTxn
}

// hold opens a read transaction for a request's reads (it begins with
// the first statement). At most half the pool is held at once, so that
// the transactions that hold nothing (writes, the reads of requests
// without one, a held request's second read at the same time) always find
// a connection: none of them waits for a held one to end.
func (e *pgEngine) hold() (heldView, bool) {
	select {
	case e.holds <- struct{}{}:
	default:
		return nil, false
	}
	ctx := context.Background()
	conn, err := e.acquire(ctx)
	if err != nil {
		<-e.holds
		return nil, false
	}
	return &pgHeld{e: e, t: &pgTxn{conn: conn.conn, ctx: ctx, begin: `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`, trips: &e.trips, held: true, memo: &e.memo, owed: conn.owed, parkedAt: conn.at}}, true
}

// errHeldLost says a request's held read transaction found its parked
// connection gone before any of it ran: the view runs on its own.
var errHeldLost = errors.New("the connection of the request's read transaction was gone")

// run runs fn in the held transaction. A failed statement aborts the
// transaction: fn's answer is that error (as a view's would be), and the
// transaction serves no more (fit is false); errHeldLost when nothing of
// it ran.
func (h *pgHeld) run(fn func(kvTxn) error) (fit bool, err error) {
	err = fn(h.t)
	if h.t.lost {
		return false, errHeldLost
	}
	if h.t.err != nil {
		return false, h.t.err
	}
	return true, err
}

// end ends the transaction as a view ends (its COMMIT not waited for) and
// gives the connection back.
func (h *pgHeld) end() {
	defer func() { <-h.e.holds }()
	t := h.t
	if t.err == nil && len(t.pending) == 0 && t.begun {
		h.e.park(t.conn, time.Now())
		return
	}
	if t.idle() {
		h.e.park(t.conn, t.parkedAt)
		return
	}
	t.rollback()
	t.conn.Release()
}
