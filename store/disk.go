package store

import (
	"fmt"
	"log/slog"
	"sync/atomic"

	"accountbot/crm"
)

// Badger writes its write-ahead log and its tables through memory-mapped
// files that it sizes with ftruncate, which allocates no disk blocks. On a
// full disk the kernel cannot back a page the moment Badger touches it and
// sends SIGBUS, which no Go code can recover from: the process dies, in a
// background flush or compaction as easily as in a commit. So the store
// never lets Badger get there: before each write it looks at the free
// space of the data directory's file system and refuses the write, with
// crm.ErrDiskFull, while less than a reserve is free. The reserve covers
// what Badger may still write on its own after the last accepted commit:
// the rest of the current memtable's log, flushing every memtable, and
// compactions rewriting a share of the tables. Reads go on; writes resume
// by themselves once space is freed.

// diskGuard refuses writes while the data directory's disk is nearly full.
type diskGuard struct {
	dir     string
	reserve uint64
	// size returns the store's current size on disk (tables and logs),
	// whose compactions need room too.
	size func() uint64
	log  *slog.Logger
	// full remembers the last verdict, to log a change once.
	full atomic.Bool
	// free is the function that measures free space (a test may stub it).
	free func(dir string) (uint64, error)
}

// diskReserve is the free space a store with the given memtable and table
// sizes needs to finish whatever it has accepted: the rest of the current
// memtable's log, the flush of every memtable to a table (a little larger
// than the memtable), and a few tables of compaction output; the share of
// the store's size that compactions rewrite is added as it grows.
func diskReserve(memTable int64, memTables int, baseTable int64) uint64 {
	return uint64(memTable*int64(memTables+2) + 4*baseTable)
}

// maxCompactionRoom bounds the room kept for compactions on a large store:
// one compaction of the lower levels rewrites a table and the ten or so
// tables of the next level it overlaps (hundreds of MiB at most), two run
// at a time.
const maxCompactionRoom = 1 << 30

// writable returns nil when a write may go ahead, crm.ErrDiskFull while
// the disk has less than the reserve free.
func (g *diskGuard) writable() error {
	free, err := g.free(g.dir)
	if err != nil {
		return nil // cannot tell: let the engine report a real failure
	}
	need := g.reserve
	if g.size != nil {
		// A compaction writes its new tables before it drops the old
		// ones: on a small store it may rewrite all of them, on a large
		// one a few levels' worth of tables at a time.
		need += min(g.size(), maxCompactionRoom)
	}
	full := free < need
	if was := g.full.Swap(full); was != full {
		if full {
			g.log.Error("the data directory's disk is nearly full: refusing writes, reads go on", "dir", g.dir, "free", free, "needed", need)
		} else {
			g.log.Warn("the data directory's disk has room again: writes resume", "dir", g.dir, "free", free)
		}
	}
	if full {
		return &crm.Error{Code: crm.EUNAVAILABLE, Key: crm.ErrDiskFull.Key, Err: fmt.Errorf("%d bytes free in %s, %d needed", free, g.dir, need)}
	}
	return nil
}

// writeGuard is implemented by engines that can tell beforehand that a
// write must not be tried (Badger on a nearly full disk).
type writeGuard interface {
	writable() error
}

// checkWritable runs the engine's write guard, if it has one.
func (s *Store) checkWritable() error {
	if g, ok := s.eng.(writeGuard); ok {
		return g.writable()
	}
	return nil
}
