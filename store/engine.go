package store

import (
	"errors"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// The store's record code (every other file of the package) speaks to the
// database only through the small key-value seam below: transactions that
// get, set (optionally expiring), delete and iterate over sorted keys, plus
// id sequences, prefix drops and bulk batches. Badger (engine_badger.go)
// and PostgreSQL (engine_pg.go) implement it, so that both engines run the
// very same record, index and erasure code and behave alike by
// construction.

// Item is one stored key and value, from a get or an iterator. Code reads
// it only through these three methods. Key and the slice Value passes are
// valid only until the iterator moves on; ValueCopy returns a copy.
type Item interface {
	Key() []byte
	Value(fn func(val []byte) error) error
	ValueCopy(dst []byte) ([]byte, error)
}

// The errors every engine returns. They are Badger's own values, so that
// comparisons written against them keep working whatever the engine.
var (
	// errNotFound: get of a key that is not there (or has expired).
	errNotFound = badger.ErrKeyNotFound
	// errConflict: the transaction read something another one changed
	// before it committed; Store.update runs fn again.
	errConflict = badger.ErrConflict
	// errTxnTooBig: one transaction holds more than the engine takes.
	errTxnTooBig = badger.ErrTxnTooBig
)

// unavailableError marks an engine failure that is about the database being
// out of reach (closed, disk full, server gone), not about the request.
type unavailableError struct{ err error }

func (e *unavailableError) Error() string { return e.err.Error() }
func (e *unavailableError) Unwrap() error { return e.err }

// engine is one database under the store.
type engine interface {
	// update runs fn in a read-write transaction and commits it, durably.
	// It returns errConflict when the commit lost to a concurrent writer;
	// the caller runs fn again (fn may run several times).
	update(fn func(kvTxn) error) error
	// view runs fn in a read-only transaction over one consistent snapshot.
	view(fn func(kvTxn) error) error
	// nextID hands out the next id of the sequence stored at key, leasing
	// bandwidth ids at a time; ids are never handed out twice, even across
	// crashes and processes.
	nextID(key []byte, bandwidth uint64) (uint64, error)
	// releaseIDs gives back unused leased ids on a clean shutdown.
	releaseIDs()
	// dropPrefix removes every key starting with one of prefixes, all
	// versions, from the engine's files as far as the engine can.
	dropPrefix(prefixes ...[]byte) error
	// batch starts a bulk load outside transactions.
	batch() kvBatch
	// load writes what fill puts (a restore): in one transaction where the
	// engine can, after deleting every key when replace is set.
	load(replace bool, fill func(put func(k, v []byte, expiresAt uint64) error) error) error
	// compact tidies the files after a bulk load.
	compact() error
	ping() error
	close() error
}

// derivedUpdater is an engine that can commit a transaction of derived
// data (kept state that the store can compute again from durable
// records, such as a client's health summary, whose durable "inputs
// changed" mark stays until a save clears it) without waiting for it to
// reach the disk: a crash may lose it, and it is then computed again.
// Badger commits every transaction durably.
type derivedUpdater interface {
	// updateDerived runs fn as update does, committing without waiting
	// for the commit to be durable.
	updateDerived(fn func(kvTxn) error) error
}

// kvTxn is one transaction of an engine.
type kvTxn interface {
	// get returns errNotFound for a missing key.
	get(key []byte) (Item, error)
	// set writes val at key; a ttl above zero lets the key expire.
	set(key, val []byte, ttl time.Duration) error
	del(key []byte) error
	// iterator walks the keys under o.prefix. It sees the transaction's
	// own writes made before it was opened.
	iterator(o iterOptions) kvIterator
	// prefetch says the transaction is about to get these keys, one by
	// one: an engine that pays a round trip per read may read them all
	// at once (PostgreSQL), one that reads in memory ignores it
	// (Badger). It only changes how the gets that follow are served,
	// never what they return, and reports errors through them.
	prefetch(keys [][]byte)
}

// iterOptions configure an iterator.
type iterOptions struct {
	prefix  []byte
	reverse bool
	// values says the caller reads most values, so they may be fetched
	// with the keys.
	values bool
	// prefetch is how many values to fetch ahead (0: the engine's choice).
	prefetch int
}

// kvIterator is a cursor in key order (descending when reverse).
type kvIterator interface {
	// seek moves to the first key at or after k (reverse: at or before).
	seek(k []byte)
	// valid reports whether the cursor is at a key under the prefix. An
	// engine error ends the walk and fails the transaction.
	valid() bool
	item() Item
	next()
	close()
}

// kvBatch writes many keys fast, outside transactions.
type kvBatch interface {
	set(key, val []byte) error
	flush() error
	cancel()
}

// isUnavailable reports whether err says the database is out of reach.
func isUnavailable(err error) bool {
	var ue *unavailableError
	return errors.As(err, &ue) || errors.Is(err, badger.ErrDBClosed) || errors.Is(err, badger.ErrBlockedWrites) || isDiskError(err)
}

// expiring is an Item that can tell when it expires (Unix seconds, 0 for
// never): backups keep the expiry of delivery keys and tokens.
type expiring interface{ ExpiresAt() uint64 }

// simpleItem is an Item held in memory.
type simpleItem struct {
	k, v []byte
	exp  uint64
}

func (i *simpleItem) ExpiresAt() uint64 { return i.exp }

func (i *simpleItem) Key() []byte                          { return i.k }
func (i *simpleItem) Value(fn func([]byte) error) error    { return fn(i.v) }
func (i *simpleItem) ValueCopy(dst []byte) ([]byte, error) { return append(dst[:0], i.v...), nil }
