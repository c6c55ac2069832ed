// Package store keeps accountbot's state in an embedded Badger database. It
// implements the storage interfaces that the handlers declare.
package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"accountbot/crm"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
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
}

// Store is the Badger-backed store.
type Store struct {
	db  *badger.DB
	dir string
	log *slog.Logger
	// writeMu lets an erasure stop every write while it drops the data
	// (see erase.go); writes share it.
	writeMu sync.RWMutex

	peopleMu sync.Mutex
	people   []*crm.Person // cached by People, nil when stale

	seqMu sync.Mutex
	seqs  map[string]*badger.Sequence
}

// Open opens (creating if needed) the store described by opts.
func Open(opts Options) (*Store, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	bo := badger.DefaultOptions(opts.Dir).
		WithInMemory(opts.InMemory).
		// Every acknowledged write must survive a crash: sync the write-ahead
		// log on commit. Badger batches concurrent commits into one sync.
		WithSyncWrites(!opts.InMemory).
		WithLogger(badgerLogger{logger}).
		// Sized for a small shared machine: about 150 MiB at most in caches
		// and memtables, so the process stays well under 300 MiB RSS.
		WithMemTableSize(16 << 20).
		WithNumMemtables(3).
		WithNumLevelZeroTables(3).
		WithNumLevelZeroTablesStall(8).
		WithBlockCacheSize(64 << 20).
		WithIndexCacheSize(24 << 20).
		WithValueLogFileSize(128 << 20).
		// Every record lives in the LSM tree (records are far below 1 MiB),
		// where DropPrefix and compaction can erase it; the value log,
		// whose newest file is never rewritten, holds nothing of ours.
		WithValueThreshold(1 << 20).
		WithNumCompactors(2).
		WithNumGoroutines(4).
		// No block compression: records are small, reads skip a
		// decompression step, and a check that erased words are in no file
		// of the data directory cannot be fooled by compressed bytes.
		WithCompression(options.None).
		WithReadOnly(opts.ReadOnly)
	if len(opts.EncryptionKey) > 0 {
		bo = bo.WithEncryptionKey(opts.EncryptionKey).WithEncryptionKeyRotationDuration(30 * 24 * time.Hour)
	}
	if !opts.InMemory {
		if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
			return nil, fmt.Errorf("cannot create the data directory %s: %w", opts.Dir, err)
		}
	}
	db, err := badger.Open(bo)
	if err != nil {
		msg := err.Error()
		switch {
		case strings.Contains(msg, "Cannot acquire directory lock"), strings.Contains(msg, "resource temporarily unavailable"):
			abs, _ := filepath.Abs(opts.Dir)
			return nil, &ErrLocked{Dir: abs}
		case strings.Contains(msg, "Encryption key mismatch"), strings.Contains(msg, "encryption key"), strings.Contains(msg, "Invalid encryption key"):
			return nil, fmt.Errorf("the data directory %s cannot be opened with this encryption key (wrong or missing ACCOUNTBOT_ENCRYPTION_KEY)", opts.Dir)
		}
		return nil, fmt.Errorf("cannot open the data directory %s: %w", opts.Dir, err)
	}
	s := &Store{db: db, dir: opts.Dir, log: logger, seqs: map[string]*badger.Sequence{}}
	if err := s.checkSchema(); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.resumeErasures(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close flushes and closes the store.
func (s *Store) Close() error {
	s.releaseSequences()
	return s.db.Close()
}

// Dir returns the data directory ("" in memory).
func (s *Store) Dir() string { return s.dir }

// Ping reports whether the store is open, for health checks.
func (s *Store) Ping() error {
	if s.db.IsClosed() {
		return errors.New("store closed")
	}
	return nil
}

var keySchema = []byte("meta/schema")

func (s *Store) checkSchema() error {
	return s.db.Update(func(txn *badger.Txn) error {
		item, err := txn.Get(keySchema)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return txn.Set(keySchema, u64(SchemaVersion))
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
	txn *badger.Txn
	s   *Store
	ctx context.Context
	// changes are appended to history in the same transaction.
	now time.Time
}

// update runs fn in a read-write transaction, retrying on conflicts, and
// returns once the commit is synced to disk. When ctx carries a delivery key
// (crm.WithDeliveryKey), the first write of that delivery records the key
// in the same transaction; a second delivery of the same message finds it
// and gets crm.ErrDuplicate instead of writing twice.
func (s *Store) update(ctx context.Context, fn func(tx *Tx) error) error {
	// A read-only request (crm.WithReadOnly: a model's tools) never writes,
	// whichever command or code path it reached: the one check below every
	// parser and handler.
	if crm.ReadOnly(ctx) {
		return crm.ErrReadOnly
	}
	key, claim := crm.DeliveryKey(ctx)
	s.writeMu.RLock()
	defer s.writeMu.RUnlock()
	for attempt := 0; ; attempt++ {
		err := s.db.Update(func(txn *badger.Txn) error {
			tx := &Tx{txn: txn, s: s, ctx: ctx}
			if claim != nil && !claim.Claimed() {
				k := append([]byte("dlv/"), key...)
				if _, err := txn.Get(k); err == nil {
					return crm.ErrDuplicate
				} else if !errors.Is(err, badger.ErrKeyNotFound) {
					return err
				}
				if err := txn.SetEntry(badger.NewEntry(k, nil).WithTTL(48 * time.Hour)); err != nil {
					return err
				}
			}
			return fn(tx)
		})
		if errors.Is(err, badger.ErrConflict) && attempt < 50 {
			// Another writer changed a record this one read (the same
			// client); back off a little, with jitter, and redo the work.
			time.Sleep(conflictBackoff(attempt))
			continue
		}
		if err == nil && claim != nil {
			claim.Claim()
		}
		return mapErr(err)
	}
}

// view runs fn in a read-only transaction.
func (s *Store) view(ctx context.Context, fn func(tx *Tx) error) error {
	return mapErr(s.db.View(func(txn *badger.Txn) error {
		return fn(&Tx{txn: txn, s: s, ctx: ctx})
	}))
}

func mapErr(err error) error {
	if err == nil {
		return nil
	}
	var ce *crm.Error
	if errors.As(err, &ce) {
		return err
	}
	if errors.Is(err, badger.ErrKeyNotFound) {
		return crm.ErrNotFound
	}
	if errors.Is(err, badger.ErrDBClosed) || errors.Is(err, badger.ErrBlockedWrites) || isDiskError(err) {
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
	item, err := tx.txn.Get(key)
	if err != nil {
		return err
	}
	return item.Value(func(b []byte) error { return json.Unmarshal(b, v) })
}

// has reports whether key exists.
func (tx *Tx) has(key []byte) (bool, error) {
	_, err := tx.txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	return err == nil, err
}

// put encodes v as JSON at key.
func (tx *Tx) put(key []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.txn.Set(key, b)
}

// set stores raw bytes at key.
func (tx *Tx) set(key, val []byte) error { return tx.txn.Set(key, val) }

// del deletes key.
func (tx *Tx) del(key []byte) error { return tx.txn.Delete(key) }

// nextID returns the next id of a kind. Ids come from Badger sequences,
// which lease a range ahead and persist the lease before handing out an id:
// after a crash the ids continue past the lease, so an id is never reused
// (a crash may skip a few). A per-kind counter inside every transaction
// would instead make all concurrent writers conflict on one key.
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
	s.seqMu.Lock()
	seq, ok := s.seqs[kind]
	if !ok {
		var err error
		seq, err = s.db.GetSequence([]byte("seq/"+kind), idBandwidth(kind))
		if err != nil {
			s.seqMu.Unlock()
			return 0, err
		}
		s.seqs[kind] = seq
	}
	s.seqMu.Unlock()
	for {
		n, err := seq.Next()
		if err != nil || n != 0 { // 0 means "none" in records
			return n, err
		}
	}
}

// releaseSequences hands back unused leased ids on a clean shutdown, so a
// normal restart leaves no gap.
func (s *Store) releaseSequences() {
	s.seqMu.Lock()
	defer s.seqMu.Unlock()
	for kind, seq := range s.seqs {
		if err := seq.Release(); err != nil {
			s.log.Warn("releasing id sequence", "kind", kind, "err", err)
		}
		delete(s.seqs, kind)
	}
}

// Item is one stored key and value seen by scan. Code outside this file
// reads it only through Key, Value and ValueCopy, so that the engine under
// the store can change.
type Item = *badger.Item

// scan calls fn for each key with prefix, in key order (reverse when asked),
// fetching values only when withValues is set. fn returns false to stop.
func (tx *Tx) scan(prefix []byte, reverse, withValues bool, fn func(key []byte, item Item) (bool, error)) error {
	opt := badger.DefaultIteratorOptions
	opt.Prefix = prefix
	opt.Reverse = reverse
	opt.PrefetchValues = withValues
	if withValues {
		opt.PrefetchSize = 16
	}
	it := tx.txn.NewIterator(opt)
	defer it.Close()
	start := prefix
	if reverse {
		start = append(bytes.Clone(prefix), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
	}
	for it.Seek(start); it.ValidForPrefix(prefix); it.Next() {
		item := it.Item()
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
		return tx.scan(key("h/", kind, "/", id), false, true, func(_ []byte, item *badger.Item) (bool, error) {
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

type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, a ...any) {
	if strings.HasPrefix(f, "Received err:") {
		return // Open's own error, which Open returns (and we report once)
	}
	b.l.Error("badger: " + strings.TrimSpace(fmt.Sprintf(f, a...)))
}
func (b badgerLogger) Warningf(f string, a ...any) {
	b.l.Warn("badger: " + strings.TrimSpace(fmt.Sprintf(f, a...)))
}
func (b badgerLogger) Infof(f string, a ...any) {
	b.l.Debug("badger: " + strings.TrimSpace(fmt.Sprintf(f, a...)))
}
func (b badgerLogger) Debugf(f string, a ...any) {}
