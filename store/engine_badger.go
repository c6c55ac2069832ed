package store

import (
	"bytes"
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
	"github.com/dgraph-io/badger/v4/y"
)

// badgerEngine is the embedded engine: one process holds the directory.
type badgerEngine struct {
	db *badger.DB
	// guard refuses writes while the disk is nearly full (see disk.go);
	// nil in memory.
	guard *diskGuard
	// degraded is set when the store was opened read-only because the
	// disk was full at start: every write is refused until a restart.
	degraded bool

	seqMu sync.Mutex
	seqs  map[string]*badger.Sequence
	log   interface{ Warn(string, ...any) }
}

// writable refuses a write that the disk has no room for (see disk.go).
func (e *badgerEngine) writable() error {
	if e.degraded {
		return &crm.Error{Code: crm.EUNAVAILABLE, Key: crm.ErrDiskFull.Key, Err: errors.New("opened read-only on a full disk; restart once space is freed")}
	}
	if e.guard == nil {
		return nil
	}
	return e.guard.writable()
}

func (e *badgerEngine) update(fn func(kvTxn) error) error {
	return e.db.Update(func(txn *badger.Txn) error { return fn(badgerTxn{txn}) })
}

func (e *badgerEngine) view(fn func(kvTxn) error) error {
	return e.db.View(func(txn *badger.Txn) error { return fn(badgerTxn{txn}) })
}

// nextID uses Badger sequences, which lease a range ahead and persist the
// lease before handing out an id: after a crash the ids continue past the
// lease, so an id is never reused (a crash may skip a few). A counter
// inside every transaction would instead make all concurrent writers
// conflict on one key.
func (e *badgerEngine) nextID(k []byte, bandwidth uint64) (uint64, error) {
	e.seqMu.Lock()
	seq, ok := e.seqs[string(k)]
	if !ok {
		var err error
		seq, err = e.db.GetSequence(k, bandwidth)
		if err != nil {
			e.seqMu.Unlock()
			return 0, err
		}
		e.seqs[string(k)] = seq
	}
	e.seqMu.Unlock()
	return seq.Next()
}

func (e *badgerEngine) releaseIDs() {
	e.seqMu.Lock()
	defer e.seqMu.Unlock()
	for k, seq := range e.seqs {
		if err := seq.Release(); err != nil {
			e.log.Warn("releasing id sequence", "key", k, "err", err)
		}
		delete(e.seqs, k)
	}
}

// dropPrefix uses DB.DropPrefix, which rewrites the memtables and every
// table holding the keys without them (old versions and tombstones
// included), then lets value-log GC rewrite files that hold only dead
// values (from stores written with a lower value threshold).
func (e *badgerEngine) dropPrefix(prefixes ...[]byte) error {
	if err := e.db.DropPrefix(prefixes...); err != nil {
		return fmt.Errorf("erasing: %w", err)
	}
	if e.db.Opts().InMemory {
		return nil
	}
	for range 16 {
		if err := e.db.RunValueLogGC(0.01); err != nil {
			break // ErrNoRewrite: nothing (more) to rewrite
		}
	}
	return nil
}

func (e *badgerEngine) batch() kvBatch { return badgerBatch{e.db.NewWriteBatch()} }

// load writes through a write batch; replacing a Badger store is done a
// directory level up (restore loads a new directory and swaps it in).
func (e *badgerEngine) load(replace bool, fill func(put func(k, v []byte, expiresAt uint64) error) error) error {
	if replace {
		return errors.New("store: a Badger store is replaced by directory")
	}
	wb := e.db.NewWriteBatch()
	err := fill(func(k, v []byte, exp uint64) error {
		en := badger.NewEntry(bytes.Clone(k), bytes.Clone(v))
		en.ExpiresAt = exp
		return wb.SetEntry(en)
	})
	if err != nil {
		wb.Cancel()
		return err
	}
	return wb.Flush()
}

// compact merges the tables into one level, as background compactions
// eventually would: lookups then check one table per key range.
func (e *badgerEngine) compact() error { return e.db.Flatten(2) }

func (e *badgerEngine) ping() error {
	if e.db.IsClosed() {
		return errors.New("store closed")
	}
	return nil
}

func (e *badgerEngine) close() error { return e.db.Close() }

type badgerTxn struct{ txn *badger.Txn }

func (t badgerTxn) get(k []byte) (Item, error) {
	item, err := t.txn.Get(k)
	if err != nil {
		return nil, err
	}
	return item, nil
}

func (t badgerTxn) set(k, v []byte, ttl time.Duration) error {
	if ttl > 0 {
		return t.txn.SetEntry(badger.NewEntry(k, v).WithTTL(ttl))
	}
	return t.txn.Set(k, v)
}

func (t badgerTxn) del(k []byte) error { return t.txn.Delete(k) }

// prefetch does nothing: Badger's gets are reads in memory.
func (t badgerTxn) prefetch([][]byte) {}

func (t badgerTxn) iterator(o iterOptions) kvIterator {
	opt := badger.DefaultIteratorOptions
	opt.Prefix = o.prefix
	opt.Reverse = o.reverse
	opt.PrefetchValues = o.values
	if o.prefetch > 0 {
		opt.PrefetchSize = o.prefetch
	}
	return &badgerIter{it: t.txn.NewIterator(opt), prefix: o.prefix}
}

type badgerIter struct {
	it     *badger.Iterator
	prefix []byte
}

func (i *badgerIter) seek(k []byte) { i.it.Seek(k) }
func (i *badgerIter) valid() bool   { return i.it.ValidForPrefix(i.prefix) }
func (i *badgerIter) item() Item    { return i.it.Item() }
func (i *badgerIter) next()         { i.it.Next() }
func (i *badgerIter) close()        { i.it.Close() }

type badgerBatch struct{ wb *badger.WriteBatch }

func (b badgerBatch) set(k, v []byte) error { return b.wb.Set(k, v) }
func (b badgerBatch) flush() error          { return b.wb.Flush() }
func (b badgerBatch) cancel()               { b.wb.Cancel() }

// reverseStart is where a reverse walk of prefix starts: past every key
// under it that ends in ids.
func reverseStart(prefix []byte) []byte {
	return append(bytes.Clone(prefix), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
}

// openBadger opens the Badger directory of opts.
func openBadger(opts Options, logger *slog.Logger) (*badgerEngine, error) {
	if !opts.InMemory {
		if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
			return nil, fmt.Errorf("cannot create the data directory %s: %w", opts.Dir, err)
		}
	}
	memTable := int64(16 << 20)
	switch {
	case opts.MemTableSize > 0:
		memTable = opts.MemTableSize
	case !opts.InMemory:
		// On a small disk (under half a GiB) the memtables shrink with
		// it, so that the reserve a full disk needs (disk.go) stays a
		// small share of it.
		if total, err := diskSize(opts.Dir); err == nil && total > 0 {
			memTable = min(memTable, max(256<<10, int64(total/32)&^(64<<10-1)))
		}
	}
	const memTables = 3
	bo := badger.DefaultOptions(opts.Dir).
		WithInMemory(opts.InMemory).
		// Every acknowledged write must survive a crash: sync the write-ahead
		// log on commit. Badger batches concurrent commits into one sync.
		WithSyncWrites(!opts.InMemory).
		WithLogger(badgerLogger{logger}).
		// Sized for a small shared machine: about 150 MiB at most in caches
		// and memtables, so the process stays well under 300 MiB RSS.
		WithMemTableSize(memTable).
		WithNumMemtables(memTables).
		WithNumLevelZeroTables(3).
		WithNumLevelZeroTablesStall(8).
		WithBlockCacheSize(64 << 20).
		WithIndexCacheSize(24 << 20).
		WithValueLogFileSize(128 << 20).
		// Every record lives in the LSM tree (records are far below 1 MiB),
		// where DropPrefix and compaction can erase it; the value log,
		// whose newest file is never rewritten, holds nothing of ours.
		WithValueThreshold(min(1<<20, memTable/8)).
		WithNumCompactors(2).
		WithNumGoroutines(4).
		// No block compression: records are small, reads skip a
		// decompression step, and a check that erased words are in no file
		// of the data directory cannot be fooled by compressed bytes.
		WithCompression(options.None).
		// A flipped bit in a table must be refused as corruption, never
		// read as another amount: verify every block's checksum when it
		// is read, and the value log's entries too. Not the whole table's
		// at open: that reads every table file through its memory map, so
		// the process's resident memory would be the store's size from
		// the first command on (323 MiB at 50,000 clients), and a block
		// is verified anyway before anything in it is read.
		WithChecksumVerificationMode(options.OnBlockRead).
		WithVerifyValueChecksum(true)
	if len(opts.EncryptionKey) > 0 {
		bo = bo.WithEncryptionKey(opts.EncryptionKey).WithEncryptionKeyRotationDuration(30 * 24 * time.Hour)
	}
	if memTable < bo.BaseTableSize {
		bo = bo.WithBaseTableSize(memTable)
	}
	reserve := diskReserve(memTable, memTables, bo.BaseTableSize)
	if opts.DiskReserve > 0 {
		reserve = uint64(opts.DiskReserve)
	}
	readOnly, degraded := opts.ReadOnly, false
	if !opts.InMemory && !opts.ReadOnly {
		// Opening for writing flushes the last run's log into a table
		// and maps a new one: on a disk without room for that, open for
		// reading only rather than die of SIGBUS.
		if free, err := freeSpace(opts.Dir); err == nil && free < reserve/2 {
			if _, err := os.Stat(filepath.Join(opts.Dir, "MANIFEST")); err != nil {
				return nil, fmt.Errorf("the disk of the data directory %s is full (%d bytes free, %d needed): free some space", opts.Dir, free, reserve)
			}
			logger.Error("the data directory's disk is full: the store opens for reading only; free some space and restart", "dir", opts.Dir, "free", free, "needed", reserve)
			readOnly, degraded = true, true
		}
	}
	bo = bo.WithReadOnly(readOnly)
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
		if isCorrupt(err) {
			return nil, fmt.Errorf("the data directory %s is corrupt (a checksum does not match, so nothing is read from it rather than wrong records): restore it from a backup: %w", opts.Dir, err)
		}
		return nil, fmt.Errorf("cannot open the data directory %s: %w", opts.Dir, err)
	}
	e := &badgerEngine{db: db, seqs: map[string]*badger.Sequence{}, log: logger, degraded: degraded}
	if !opts.InMemory && !readOnly {
		e.guard = &diskGuard{dir: opts.Dir, reserve: reserve, log: logger, free: freeSpace, size: func() uint64 {
			// The tables' sizes as the levels know them now (DB.Size is
			// refreshed only once a minute).
			var n int64
			for _, l := range db.Levels() {
				n += l.Size
			}
			return uint64(n)
		}}
	}
	return e, nil
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

// isCorrupt reports whether err is a failed checksum: stored bytes that are
// not what was written.
func isCorrupt(err error) bool {
	return errors.Is(err, y.ErrChecksumMismatch) || strings.Contains(err.Error(), "checksum mismatch")
}
