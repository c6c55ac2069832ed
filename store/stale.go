package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"

	"accountbot/crm"
)

// Keys of the maintained staleness indexes and counts, which a head's
// "/clients stale" and the digest's stale figures read instead of every
// owner index entry:
//
//	csl/<owner><last><id>    by the last touch (the review time for a client never touched); value: review, touch
//	csr/<owner><review><id>  by the last review; value: last
//	cst/<owner>              the thresholds (touch before, review before) at which csc/ counts
//	csc/<owner>              how many of owner's clients are stale at cst/'s thresholds (8 bytes)
//	meta/clients/stale       the indexes are complete (version)
//
// Times are Unix seconds, their sign bit flipped so that they sort.
//
// A client is stale for thresholds (tb, rb) when last < tb or review <
// rb: which clients are stale changes with the clock alone, without a
// write. So the count is kept at fixed thresholds (cst/), in the client's
// own transaction (putClient, the erasure), and a read at other
// thresholds corrects it by the clients whose last or review time lies
// between the two: those touched or reviewed about when the thresholds
// moved, not the owner's whole book. A read that finds the correction
// large moves cst/ to its own thresholds (one small write per owner and
// day), so that the next read's correction is small again. An owner's
// count is made on first use, from its csl/ entries.

var staleMarker = []byte("meta/clients/stale")

const staleVersion = 1

// ord maps a Unix time to 8 bytes that sort as the times do.
func ord(t int64) uint64 { return uint64(t) ^ 1<<63 }

func unord(b []byte) int64 { return int64(binary.BigEndian.Uint64(b) ^ 1<<63) }

// staleTimes are what decides whether a client is stale.
type staleTimes struct {
	touch, review int64
}

func staleTimesOf(c *crm.Client) staleTimes {
	return staleTimes{touch: unix(c.LastTouch), review: unix(c.ReviewedAt)}
}

// last is the time the touch threshold is compared with: the last touch,
// or the review (about the creation) for a client never touched.
func (st staleTimes) last() int64 {
	if st.touch == 0 {
		return st.review
	}
	return st.touch
}

func (st staleTimes) stale(tb, rb int64) bool {
	return ownerEntry{touch: st.touch, review: st.review}.stale(tb, rb)
}

func staleLastKey(owner uint64, st staleTimes, id uint64) []byte {
	return key("csl/", owner, ord(st.last()), id)
}

func staleReviewKey(owner uint64, st staleTimes, id uint64) []byte {
	return key("csr/", owner, ord(st.review), id)
}

func staleLastVal(st staleTimes) []byte {
	return binary.BigEndian.AppendUint64(u64(uint64(st.review)), uint64(st.touch))
}

func staleReviewVal(st staleTimes) []byte { return u64(uint64(st.last())) }

func staleAtKey(owner uint64) []byte    { return key("cst/", owner) }
func staleCountKey(owner uint64) []byte { return key("csc/", owner) }

// staleAt is an owner's count's thresholds; ok is false when the owner
// has no count yet.
func (tx *Tx) staleAt(owner uint64) (tb, rb int64, ok bool, err error) {
	item, err := tx.item(staleAtKey(owner))
	if errors.Is(err, errNotFound) {
		return 0, 0, false, nil
	}
	if err != nil {
		return 0, 0, false, err
	}
	err = item.Value(func(v []byte) error {
		if len(v) == 16 {
			tb, rb, ok = unord(v[:8]), unord(v[8:]), true
		}
		return nil
	})
	return tb, rb, ok, err
}

// staleFollowClient moves the client's staleness index entries and its
// stale count from old (nil for a new client) to c, in the client's
// transaction.
func (tx *Tx) staleFollowClient(old, c *crm.Client) error {
	st := staleTimesOf(c)
	if old != nil {
		ot := staleTimesOf(old)
		if old.OwnerID == c.OwnerID && ot == st {
			return nil
		}
		if err := tx.staleForget(old.OwnerID, old.ID, ot); err != nil {
			return err
		}
	}
	if err := tx.set(staleLastKey(c.OwnerID, st, c.ID), staleLastVal(st)); err != nil {
		return err
	}
	if err := tx.set(staleReviewKey(c.OwnerID, st, c.ID), staleReviewVal(st)); err != nil {
		return err
	}
	return tx.staleCount(c.OwnerID, st, +1)
}

// staleForget deletes a client's staleness index entries and takes it
// out of its owner's stale count.
func (tx *Tx) staleForget(owner, id uint64, st staleTimes) error {
	if err := tx.del(staleLastKey(owner, st, id)); err != nil {
		return err
	}
	if err := tx.del(staleReviewKey(owner, st, id)); err != nil {
		return err
	}
	return tx.staleCount(owner, st, -1)
}

// staleCount adds delta to owner's count when the client is stale at the
// count's thresholds.
func (tx *Tx) staleCount(owner uint64, st staleTimes, delta int) error {
	tb, rb, ok, err := tx.staleAt(owner)
	if err != nil || !ok || !st.stale(tb, rb) {
		return err
	}
	return tx.addDelta(staleCountKey(owner), delta)
}

// staleKeys are the staleness keys of a client, for its erasure.
func staleKeys(c *crm.Client) [][]byte {
	st := staleTimesOf(c)
	return [][]byte{staleLastKey(c.OwnerID, st, c.ID), staleReviewKey(c.OwnerID, st, c.ID)}
}

// staleIndexed reports whether the staleness indexes are complete.
func (s *Store) staleIndexed(ctx context.Context) (bool, error) {
	return s.marked(ctx, staleMarker, staleVersion)
}

// ensureStale indexes every client once in a store written before the
// staleness indexes existed (or loaded by the Seeder), a thousand clients
// per transaction; each batch reads the clients it indexes, so that a
// concurrent change is never overwritten. The counts are dropped first,
// to be made again from the complete index.
func (s *Store) ensureStale(ctx context.Context) error {
	if done, err := s.staleIndexed(ctx); err != nil || done {
		return err
	}
	if err := s.update(crm.WithoutDeliveryKey(ctx), func(tx *Tx) error { return tx.dropStaleCounts() }); err != nil {
		return err
	}
	return s.backfillClients(ctx, staleMarker, staleVersion, 1000, func(tx *Tx, c *crm.Client) error {
		st := staleTimesOf(c)
		if err := tx.set(staleLastKey(c.OwnerID, st, c.ID), staleLastVal(st)); err != nil {
			return err
		}
		return tx.set(staleReviewKey(c.OwnerID, st, c.ID), staleReviewVal(st))
	})
}

// dropStaleCounts deletes every owner's stale count (kept by putClient
// only where it exists).
func (tx *Tx) dropStaleCounts() error {
	var keys [][]byte
	for _, p := range []string{"cst/", "csc/"} {
		if err := tx.scan([]byte(p), false, false, func(k []byte, _ Item) (bool, error) {
			keys = append(keys, bytes.Clone(k))
			return true, nil
		}); err != nil {
			return err
		}
	}
	for _, k := range keys {
		if err := tx.del(k); err != nil {
			return err
		}
	}
	return nil
}

// staleEntry is a client of a staleness index.
type staleEntry struct {
	id uint64
	st staleTimes
}

// eachStaleLast calls fn for owner's csl/ entries whose last time is in
// [from, to), in that order.
func (tx *Tx) eachStaleLast(owner uint64, from, to int64, fn func(staleEntry) error) error {
	prefix := key("csl/", owner)
	it := tx.iter(prefix, false, true)
	defer it.close()
	end := key("csl/", owner, ord(to))
	for it.seek(key("csl/", owner, ord(from))); it.valid(); it.next() {
		item := it.item()
		k := item.Key()
		if len(k) != len(prefix)+16 || bytes.Compare(k, end) >= 0 {
			break
		}
		e := staleEntry{id: tailID(k)}
		if err := item.Value(func(v []byte) error {
			if len(v) == 16 {
				e.st = staleTimes{review: int64(binary.BigEndian.Uint64(v[:8])), touch: int64(binary.BigEndian.Uint64(v[8:]))}
			}
			return nil
		}); err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// eachStaleReview calls fn for owner's csr/ entries whose review time is
// in [from, to). The entry's touch is not known (zero): only its last
// time and review.
func (tx *Tx) eachStaleReview(owner uint64, from, to int64, fn func(id uint64, last, review int64) error) error {
	prefix := key("csr/", owner)
	it := tx.iter(prefix, false, true)
	defer it.close()
	end := key("csr/", owner, ord(to))
	for it.seek(key("csr/", owner, ord(from))); it.valid(); it.next() {
		item := it.item()
		k := item.Key()
		if len(k) != len(prefix)+16 || bytes.Compare(k, end) >= 0 {
			break
		}
		review := unord(k[len(prefix) : len(prefix)+8])
		var last int64
		if err := item.Value(func(v []byte) error {
			if len(v) == 8 {
				last = int64(binary.BigEndian.Uint64(v))
			}
			return nil
		}); err != nil {
			return err
		}
		if err := fn(tailID(k), last, review); err != nil {
			return err
		}
	}
	return nil
}

// isStale is the stale test on a last time and a review time.
func isStale(last, review, tb, rb int64) bool { return last < tb || review < rb }

// staleMoves is how many clients a read may correct an owner's count by
// before it moves the count to its own thresholds.
var staleMoves = 64

// ownerStale returns how many of owner's clients are stale at (tb, rb),
// and whether the owner's count should be made (none yet) or moved (a
// large correction).
func (tx *Tx) ownerStale(owner uint64, tb, rb int64) (n int, maintain bool, err error) {
	tb0, rb0, ok, err := tx.staleAt(owner)
	if err != nil {
		return 0, false, err
	}
	if !ok {
		// No count yet: every entry of the owner.
		err := tx.eachStaleLast(owner, minTime, maxTime, func(e staleEntry) error {
			if isStale(e.st.last(), e.st.review, tb, rb) {
				n++
			}
			return nil
		})
		return n, true, err
	}
	base, err := tx.counter(staleCountKey(owner))
	if err != nil {
		return 0, false, err
	}
	d, moved, err := tx.staleCorrection(owner, tb0, rb0, tb, rb)
	return int(base) + d, moved > staleMoves, err
}

const (
	minTime = -1 << 63
	maxTime = 1<<63 - 1
)

// staleCorrection is how many more of owner's clients are stale at (tb,
// rb) than at (tb0, rb0), and how many clients it looked at: those whose
// last time lies between tb0 and tb, or whose review lies between rb0
// and rb; the others are stale at both or at neither.
func (tx *Tx) staleCorrection(owner uint64, tb0, rb0, tb, rb int64) (delta, seen int, err error) {
	done := map[uint64]bool{}
	count := func(id uint64, last, review int64) error {
		if done[id] {
			return nil
		}
		done[id] = true
		if isStale(last, review, tb, rb) {
			delta++
		}
		if isStale(last, review, tb0, rb0) {
			delta--
		}
		return nil
	}
	if tb0 != tb {
		if err := tx.eachStaleLast(owner, min(tb0, tb), max(tb0, tb), func(e staleEntry) error {
			return count(e.id, e.st.last(), e.st.review)
		}); err != nil {
			return 0, 0, err
		}
	}
	if rb0 != rb {
		if err := tx.eachStaleReview(owner, min(rb0, rb), max(rb0, rb), count); err != nil {
			return 0, 0, err
		}
	}
	return delta, len(done), nil
}

// staleCounts answers a StaleQuery for counts alone from the maintained
// counts: a few reads per owner, whatever the size of their book.
func (s *Store) staleCounts(ctx context.Context, q crm.StaleQuery) (crm.StaleList, error) {
	var out crm.StaleList
	indexed, err := s.indexReady(ctx, s.ensureStale, staleMarker, staleVersion)
	if err != nil {
		return out, err
	}
	tb, rb := q.TouchBefore.Unix(), q.ReviewBefore.Unix()
	if !indexed {
		// A read-only request on a store not yet indexed: every owner
		// index entry.
		err := s.view(ctx, func(tx *Tx) error {
			out = crm.StaleList{ByOwner: make(map[uint64]int, len(q.Owners))}
			for _, o := range q.Owners {
				n := 0
				if err := tx.eachOwnerEntry(o, func(_ uint64, e ownerEntry) (bool, error) {
					if e.stale(tb, rb) {
						n++
					}
					return true, nil
				}); err != nil {
					return err
				}
				out.ByOwner[o] = n
				out.Total += n
			}
			return nil
		})
		return out, err
	}
	var maintain []uint64
	err = s.view(ctx, func(tx *Tx) error {
		out, maintain = crm.StaleList{ByOwner: make(map[uint64]int, len(q.Owners))}, nil
		for _, o := range q.Owners {
			n, m, err := tx.ownerStale(o, tb, rb)
			if err != nil {
				return err
			}
			out.ByOwner[o] = n
			out.Total += n
			if m {
				maintain = append(maintain, o)
			}
		}
		return nil
	})
	if err != nil {
		return out, err
	}
	s.maintainStale(ctx, maintain, tb, rb)
	return out, nil
}

// maintainStale makes or moves the counts of owners at (tb, rb). The
// answer that asked for it is already known, so a failure (a read-only
// request, a full disk) only leaves the next read the same work.
func (s *Store) maintainStale(ctx context.Context, owners []uint64, tb, rb int64) {
	if len(owners) == 0 || crm.ReadOnly(ctx) {
		return
	}
	err := s.update(crm.WithoutDeliveryKey(ctx), func(tx *Tx) error {
		for _, o := range owners {
			n, _, err := tx.ownerStale(o, tb, rb)
			if err != nil {
				return err
			}
			if err := tx.set(staleAtKey(o), binary.BigEndian.AppendUint64(u64(ord(tb)), ord(rb))); err != nil {
				return err
			}
			if n > 0 {
				err = tx.set(staleCountKey(o), u64(uint64(n)))
			} else {
				err = tx.del(staleCountKey(o))
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.log.Warn("keeping the stale counts", "err", err)
	}
}
