// Package store keeps accountbot's state in a key-value engine (embedded
// Badger, or PostgreSQL) behind the seam in engine.go. It
// implements the storage interfaces that the handlers declare.
package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"accountbot/crm"
)

// SchemaVersion is the version of the record layout this build writes. A
// store written by a newer version is refused rather than misread.
const SchemaVersion = 1

// ErrLocked is returned by Open when another process holds the directory.
type ErrLocked struct{ Dir string }

func (e *ErrLocked) Error() string {
	return fmt.Sprintf("the data directory %s is in use by another accountbot process", e.Dir)
}

// Options configure Open.
type Options struct {
	// Dir is the Badger directory; empty with InMemory.
	Dir string
	// InMemory keeps everything in memory, for tests.
	InMemory bool
	// EncryptionKey, when set (16, 24 or 32 bytes), encrypts the store at rest.
	EncryptionKey []byte
	// Logger receives Badger's warnings and errors.
	Logger *slog.Logger
	// ReadOnly opens the store without taking the write lock's exclusivity.
	ReadOnly bool
	// MemTableSize is Badger's memtable size (default 16 MiB); smaller
	// for tests on a small file system.
	MemTableSize int64
	// DiskReserve is the free disk space below which writes are refused
	// (default: what the memtables and compactions may still need, see
	// disk.go).
	DiskReserve int64
	// DatabaseURL, when set, opens PostgreSQL instead of Badger; Dir,
	// InMemory and EncryptionKey are then unused.
	DatabaseURL string
}

// Store is the Badger-backed store.
type Store struct {
	eng  engine
	opts Options
	dir  string
	log  *slog.Logger
	// writeMu lets an erasure stop every write while it drops the data
	// (see erase.go); writes share it.
	writeMu sync.RWMutex
	// retryLane is held by a transaction that lost retryLaneAfter
	// conflicts, so that such transactions retry one at a time.
	retryLane sync.Mutex
	// conflicts counts the transactions run again after a conflict, for
	// the benchmarks (Conflicts).
	conflicts atomic.Int64

	// shared is set when other processes may write the same database
	// (PostgreSQL replicas): nothing read is then kept in memory, but for
	// the team checked against its version (people.go).
	shared bool

	peopleMu sync.Mutex
	people   []*crm.Person // cached by People, nil when stale
	// peopleVer is the version of the team people holds on a shared
	// database (teamVersioned).
	peopleVer int64

	// bg is the lifetime of the store's background work (the segment
	// figures' first build): cancelled by Close, which waits for bgWG.
	bg       context.Context
	bgCancel context.CancelFunc
	bgWG     sync.WaitGroup
	// segBuilding is set while the segment figures are being built.
	segBuilding atomic.Bool

	closeOnce sync.Once
	closeErr  error
}

// Open opens (creating if needed) the store described by opts.
func Open(opts Options) (*Store, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if opts.DatabaseURL != "" {
		eng, err := openPG(opts.DatabaseURL, logger)
		if err != nil {
			return nil, err
		}
		return openEngine(eng, opts, logger)
	}
	eng, err := openBadger(opts, logger)
	if err != nil {
		return nil, err
	}
	return openEngine(eng, opts, logger)
}

// openEngine finishes Open on any engine: schema check and interrupted
// erasures.
func openEngine(eng engine, opts Options, logger *slog.Logger) (*Store, error) {
	s := &Store{eng: eng, opts: opts, dir: opts.Dir, log: logger, shared: opts.DatabaseURL != ""}
	s.bg, s.bgCancel = context.WithCancel(context.Background())
	if err := s.checkSchema(); err != nil {
		eng.close()
		return nil, err
	}
	if err := s.resumeErasures(); err != nil {
		eng.close()
		return nil, err
	}
	if !opts.ReadOnly {
		// Not fatal: on a full disk the store still opens for reading, and
		// the next Open indexes.
		if err := s.indexClientEmails(); err != nil {
			logger.Warn("clients are not indexed by e-mail yet", "err", err)
		}
	}
	return s, nil
}

// Close stops the store's background work, flushes and closes the store.
// Closing it again returns what the first Close did.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.bgCancel()
		s.bgWG.Wait()
		s.eng.releaseIDs()
		s.closeErr = s.eng.close()
	})
	return s.closeErr
}

// Dir returns the data directory ("" in memory).
func (s *Store) Dir() string { return s.dir }

// Ping reports whether the store is open, for health checks.
func (s *Store) Ping() error { return s.eng.ping() }

var keySchema = []byte("meta/schema")

func (s *Store) checkSchema() error {
	return s.eng.update(func(txn kvTxn) error {
		item, err := txn.get(keySchema)
		if errors.Is(err, errNotFound) {
			return txn.set(keySchema, u64(SchemaVersion), 0)
		}
		if err != nil {
			return err
		}
		v, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		if got := binary.BigEndian.Uint64(v); got > SchemaVersion {
			return fmt.Errorf("the data directory %s was written by a newer accountbot (schema %d, this build reads up to %d); upgrade accountbot", s.dir, got, SchemaVersion)
		}
		return nil
	})
}

// Tx is one transaction, with the helpers every record kind uses.
type Tx struct {
	kv  kvTxn
	s   *Store
	ctx context.Context
	// changes are appended to history in the same transaction.
	now time.Time
	// deltas are the changes to maintained counts (counts.go) made in the
	// transaction, written once at its end: a batch of a thousand clients
	// writes each count once, not a thousand times.
	deltas map[string]int64
	// segDirty are the clients whose segment facts may have changed,
	// made again at the end (segment_figures.go).
	segDirty map[uint64]*segmentDirt
}

// update runs fn in a read-write transaction, retrying on conflicts, and
// returns once the commit is synced to disk. When ctx carries a delivery key
// (crm.WithDeliveryKey), the first write of that delivery records the key
// in the same transaction; a second delivery of the same message finds it
// and gets crm.ErrDuplicate instead of writing twice.
func (s *Store) update(ctx context.Context, fn func(tx *Tx) error) error {
	return s.updateWith(ctx, s.eng.update, fn)
}

// updateDerived is update for a transaction that writes only derived
// data (engine.go derivedUpdater): on an engine that can, its commit does
// not wait for the disk. Nothing a person was told was saved may go
// through it.
func (s *Store) updateDerived(ctx context.Context, fn func(tx *Tx) error) error {
	run := s.eng.update
	// A delivery's key is recorded durably with its first write, always.
	if du, ok := s.eng.(derivedUpdater); ok {
		if _, claim := crm.DeliveryKey(ctx); claim == nil {
			run = du.updateDerived
		}
	}
	return s.updateWith(ctx, run, fn)
}

func (s *Store) updateWith(ctx context.Context, run func(func(kvTxn) error) error, fn func(tx *Tx) error) error {
	// A read-only request (crm.WithReadOnly: a model's tools) never writes,
	// whichever command or code path it reached: the one check below every
	// parser and handler.
	if crm.ReadOnly(ctx) {
		return crm.ErrReadOnly
	}
	// A full disk refuses the write before the engine is asked (Badger
	// would die of SIGBUS in its memory-mapped files, see disk.go).
	if err := s.checkWritable(); err != nil {
		return err
	}
	// A write never rests on a guess not confirmed yet
	// (engine_pg_guess.go), and the request's later reads must see it
	// (snapshot.go).
	if err := crm.Settle(ctx); err != nil {
		return err
	}
	s.dropSnapshot(ctx)
	key, claim := crm.DeliveryKey(ctx)
	s.writeMu.RLock()
	defer s.writeMu.RUnlock()
	lane := false
	defer func() {
		if lane {
			s.retryLane.Unlock()
		}
	}()
	for attempt := 0; ; attempt++ {
		if attempt == retryLaneAfter {
			// A transaction that keeps losing to others (many chats on
			// one client) retries one at a time with the other such
			// losers of this process, so that it only meets fresh
			// writers and finishes instead of running out of attempts.
			s.retryLane.Lock()
			lane = true
		}
		err := run(func(txn kvTxn) error {
			tx := &Tx{kv: txn, s: s, ctx: ctx}
			if claim != nil && !claim.Claimed() {
				k := append([]byte("dlv/"), key...)
				if _, err := txn.get(k); err == nil {
					return crm.ErrDuplicate
				} else if !errors.Is(err, errNotFound) {
					return err
				}
				if err := txn.set(k, nil, 48*time.Hour); err != nil {
					return err
				}
			}
			if err := fn(tx); err != nil {
				return err
			}
			if err := tx.flushSegments(); err != nil {
				return err
			}
			return tx.flushDeltas()
		})
		if errors.Is(err, errConflict) && attempt < 50 {
			// Another writer changed a record this one read (the same
			// client); back off a little, with jitter, and redo the work.
			s.conflicts.Add(1)
			time.Sleep(conflictBackoff(attempt))
			continue
		}
		if err == nil && claim != nil {
			claim.Claim()
		}
		return mapErr(err)
	}
}

// Conflicts reports how many write transactions this Store ran again
// after a conflict since it was opened (a Badger conflict, a PostgreSQL
// serialization failure or deadlock): the benchmarks show it per write.
func (s *Store) Conflicts() int64 { return s.conflicts.Load() }

// retryLaneAfter is how many conflicts a transaction loses before it waits
// for the retry lane (Store.retryLane).
const retryLaneAfter = 6

// view runs fn in a read-only transaction.
func (s *Store) view(ctx context.Context, fn func(tx *Tx) error) error {
	run := func(txn kvTxn) error { return fn(&Tx{kv: txn, s: s, ctx: ctx}) }
	if done, err := s.sharedView(ctx, run); done {
		return mapErr(err)
	}
	return mapErr(s.eng.view(run))
}

func mapErr(err error) error {
	if err == nil {
		return nil
	}
	var ce *crm.Error
	if errors.As(err, &ce) {
		return err
	}
	if errors.Is(err, errNotFound) {
		return crm.ErrNotFound
	}
	if errors.Is(err, errGuessed) {
		// The request is answered again (handlers/service.go); should
		// this reach the sender, it is a moment's trouble.
		return &crm.Error{Code: crm.EUNAVAILABLE, Key: "error.unavailable", Err: err}
	}
	if isCorrupt(err) {
		return &crm.Error{Code: crm.EINTERNAL, Key: "error.corrupt", Err: err}
	}
	if isUnavailable(err) {
		if errors.Is(err, syscall.ENOSPC) || strings.Contains(err.Error(), "no space left") {
			return &crm.Error{Code: crm.EUNAVAILABLE, Key: crm.ErrDiskFull.Key, Err: err}
		}
		return &crm.Error{Code: crm.EUNAVAILABLE, Key: "error.unavailable", Err: err}
	}
	return crm.Internal(err)
}

func isDiskError(err error) bool {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return true
	}
	m := err.Error()
	return strings.Contains(m, "no space left") || strings.Contains(m, "input/output error") || strings.Contains(m, "read-only file system")
}

// get decodes the JSON value at key into v.
func (tx *Tx) get(key []byte, v any) error {
	item, err := tx.kv.get(key)
	if err != nil {
		return err
	}
	return item.Value(func(b []byte) error { return json.Unmarshal(b, v) })
}

// item returns the stored item at key (errNotFound when none), for raw
// values that are not JSON.
func (tx *Tx) item(key []byte) (Item, error) { return tx.kv.get(key) }

// prefetch tells the engine that the transaction is about to get keys
// one by one (see kvTxn.prefetch); what the gets return is the same.
func (tx *Tx) prefetch(keys [][]byte) { tx.kv.prefetch(keys) }

// has reports whether key exists.
func (tx *Tx) has(key []byte) (bool, error) {
	_, err := tx.kv.get(key)
	if errors.Is(err, errNotFound) {
		return false, nil
	}
	return err == nil, err
}

// value returns a copy of key's value; found is false when there is no
// such key.
func (tx *Tx) value(key []byte) (v []byte, found bool, err error) {
	item, err := tx.kv.get(key)
	if errors.Is(err, errNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	v, err = item.ValueCopy(nil)
	return v, err == nil, err
}

// put encodes v as JSON at key.
func (tx *Tx) put(key []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.kv.set(key, b, 0)
}

// set stores raw bytes at key.
func (tx *Tx) set(key, val []byte) error { return tx.kv.set(key, val, 0) }

// setTTL stores raw bytes at key that expire after ttl.
func (tx *Tx) setTTL(key, val []byte, ttl time.Duration) error { return tx.kv.set(key, val, ttl) }

// del deletes key.
func (tx *Tx) del(key []byte) error { return tx.kv.del(key) }

// setEntries writes index entries (see kvEntry).
func (tx *Tx) setEntries(es []kvEntry) error {
	for _, e := range es {
		if err := tx.kv.set(e.k, e.v, 0); err != nil {
			return err
		}
	}
	return nil
}

// delEntries deletes the keys of index entries.
func (tx *Tx) delEntries(es []kvEntry) error {
	for _, e := range es {
		if err := tx.kv.del(e.k); err != nil {
			return err
		}
	}
	return nil
}

// nextID returns the next id of a kind, from the engine's sequences: ids
// are leased a range ahead, never reused (a crash may skip a few).
func (tx *Tx) nextID(kind string) (uint64, error) { return tx.s.nextID(kind) }

// idBandwidth is how many ids a sequence leases at once: few for the short
// ids people read (T-3, C-12), many for records nobody numbers by hand.
func idBandwidth(kind string) uint64 {
	switch kind {
	case "conversation", "change":
		return 256
	}
	return 4
}

func (s *Store) nextID(kind string) (uint64, error) {
	for {
		n, err := s.eng.nextID([]byte("seq/"+kind), idBandwidth(kind))
		if err != nil || n != 0 { // 0 means "none" in records
			return n, err
		}
	}
}

// iter opens an iterator over the keys with prefix (the caller closes it).
func (tx *Tx) iter(prefix []byte, reverse, withValues bool) kvIterator {
	o := iterOptions{prefix: prefix, reverse: reverse, values: withValues}
	if withValues {
		o.prefetch = 16
	}
	return tx.kv.iterator(o)
}

// scan calls fn for each key with prefix, in key order (reverse when asked),
// fetching values only when withValues is set. fn returns false to stop.
func (tx *Tx) scan(prefix []byte, reverse, withValues bool, fn func(key []byte, item Item) (bool, error)) error {
	it := tx.iter(prefix, reverse, withValues)
	defer it.close()
	start := prefix
	if reverse {
		start = reverseStart(prefix)
	}
	for it.seek(start); it.valid(); it.next() {
		item := it.item()
		more, err := fn(item.Key(), item)
		if err != nil {
			return err
		}
		if !more {
			return nil
		}
	}
	return nil
}

// addChange appends one entry to a record's history.
func (tx *Tx) addChange(c crm.Change) error {
	seq, err := tx.nextID("change")
	if err != nil {
		return err
	}
	return tx.put(key("h/", c.Kind, "/", c.RecordID, seq), c)
}

// History returns the changes of one record, oldest first.
func (s *Store) History(ctx context.Context, kind string, id uint64) ([]crm.Change, error) {
	var out []crm.Change
	err := s.view(ctx, func(tx *Tx) error {
		return tx.scan(key("h/", kind, "/", id), false, true, func(_ []byte, item Item) (bool, error) {
			var c crm.Change
			if err := item.Value(func(b []byte) error { return json.Unmarshal(b, &c) }); err != nil {
				return false, err
			}
			out = append(out, c)
			return true, nil
		})
	})
	return out, err
}

// key builds a key from strings (as bytes) and uint64s (8 bytes big-endian,
// so that they sort numerically) and time.Time (as Unix nanoseconds).
func key(parts ...any) []byte {
	b := make([]byte, 0, 32)
	for _, p := range parts {
		switch v := p.(type) {
		case string:
			b = append(b, v...)
		case []byte:
			b = append(b, v...)
		case uint64:
			b = binary.BigEndian.AppendUint64(b, v)
		case time.Time:
			b = binary.BigEndian.AppendUint64(b, uint64(v.UnixNano()))
		case byte:
			b = append(b, v)
		default:
			panic(fmt.Sprintf("store: key part of type %T", p))
		}
	}
	return b
}

func u64(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

// idAt reads a big-endian uint64 at the end of key.
func tailID(k []byte) uint64 {
	if len(k) < 8 {
		return 0
	}
	return binary.BigEndian.Uint64(k[len(k)-8:])
}

func decode[T any](item Item) (*T, error) {
	var v T
	err := item.Value(func(b []byte) error { return json.Unmarshal(b, &v) })
	return &v, err
}
