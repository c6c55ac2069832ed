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
		e, err := staleLastEntry(k, item)
		if err != nil {
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
		id, last, review, err := staleReviewEntry(k, item)
		if err != nil {
			return err
		}
		if err := fn(id, last, review); err != nil {
			return err
		}
	}
	return nil
}

// staleLastEntry decodes a csl/ entry (its key is 24 bytes after the
// prefix: owner, last time, id).
func staleLastEntry(k []byte, item Item) (staleEntry, error) {
	e := staleEntry{id: tailID(k)}
	err := item.Value(func(v []byte) error {
		if len(v) == 16 {
			e.st = staleTimes{review: int64(binary.BigEndian.Uint64(v[:8])), touch: int64(binary.BigEndian.Uint64(v[8:]))}
		}
		return nil
	})
	return e, err
}

// staleReviewEntry decodes a csr/ entry: its client, last time and
// review.
func staleReviewEntry(k []byte, item Item) (id uint64, last, review int64, err error) {
	review = unord(k[len(k)-16 : len(k)-8])
	err = item.Value(func(v []byte) error {
		if len(v) == 8 {
			last = int64(binary.BigEndian.Uint64(v))
		}
		return nil
	})
	return tailID(k), last, review, err
}

// isStale is the stale test on a last time and a review time.
func isStale(last, review, tb, rb int64) bool { return last < tb || review < rb }

// staleMoves is how many clients a read may correct an owner's count by
// before it moves the count to its own thresholds.
var staleMoves = 64

// ownersStale returns how many of each owner's clients are stale at (tb,
// rb), and whether the owner's count should be made (none yet) or moved
// (a large correction). The owners are read at once: every
// owner's count and thresholds together, then the entries that correct
// the counts by one walk of each index over all the owners' ranges. On
// PostgreSQL that is a round trip for the counts and one for every
// sixteen owners' ranges (a head's 200 owners were 400 round trips and
// more); on Badger the same reads in memory.
func (tx *Tx) ownersStale(owners []uint64, tb, rb int64) (ns []int, maintain []bool, err error) {
	keys := make([][]byte, 0, 2*len(owners))
	for _, o := range owners {
		keys = append(keys, staleAtKey(o), staleCountKey(o))
	}
	tx.readAhead(keys, nil)
	ns, maintain = make([]int, len(owners)), make([]bool, len(owners))
	// at[i] is owner i's count's thresholds; counted[i] false when the
	// owner has none yet and every entry of the owner is counted.
	at := make([][2]int64, len(owners))
	counted := make([]bool, len(owners))
	var lasts, reviews []keyRange
	var lastOf, reviewOf []int // the owner of each range
	for i, o := range owners {
		tb0, rb0, ok, err := tx.staleAt(o)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			lasts, lastOf = append(lasts, keyRange{key("csl/", o, ord(minTime)), key("csl/", o, ord(maxTime))}), append(lastOf, i)
			maintain[i] = true
			continue
		}
		base, err := tx.counter(staleCountKey(o))
		if err != nil {
			return nil, nil, err
		}
		ns[i], at[i], counted[i] = int(base), [2]int64{tb0, rb0}, true
		if tb0 != tb {
			lasts, lastOf = append(lasts, keyRange{key("csl/", o, ord(min(tb0, tb))), key("csl/", o, ord(max(tb0, tb)))}), append(lastOf, i)
		}
		if rb0 != rb {
			reviews, reviewOf = append(reviews, keyRange{key("csr/", o, ord(min(rb0, rb))), key("csr/", o, ord(max(rb0, rb)))}), append(reviewOf, i)
		}
	}
	// A counted owner's correction is by the clients whose last time lies
	// between the two touch thresholds, or whose review lies between the
	// two review thresholds; the others are stale at both or at neither.
	seen := make([]map[uint64]bool, len(owners))
	count := func(i int, id uint64, last, review int64) {
		if !counted[i] {
			if isStale(last, review, tb, rb) {
				ns[i]++
			}
			return
		}
		if seen[i] == nil {
			seen[i] = map[uint64]bool{}
		}
		if seen[i][id] {
			return
		}
		seen[i][id] = true
		if isStale(last, review, tb, rb) {
			ns[i]++
		}
		if isStale(last, review, at[i][0], at[i][1]) {
			ns[i]--
		}
	}
	const entryLen = len("csl/") + 24 // owner, time, id
	if err := tx.scanRanges([]byte("csl/"), false, true, lasts, func(r int, k []byte, item Item) (bool, error) {
		if len(k) != entryLen {
			return false, nil
		}
		e, err := staleLastEntry(k, item)
		if err != nil {
			return false, err
		}
		count(lastOf[r], e.id, e.st.last(), e.st.review)
		return true, nil
	}); err != nil {
		return nil, nil, err
	}
	if err := tx.scanRanges([]byte("csr/"), false, true, reviews, func(r int, k []byte, item Item) (bool, error) {
		if len(k) != entryLen {
			return false, nil
		}
		id, last, review, err := staleReviewEntry(k, item)
		if err != nil {
			return false, err
		}
		count(reviewOf[r], id, last, review)
		return true, nil
	}); err != nil {
		return nil, nil, err
	}
	for i := range owners {
		if counted[i] && len(seen[i]) > staleMoves {
			maintain[i] = true
		}
	}
	return ns, maintain, nil
}

const (
	minTime = -1 << 63
	maxTime = 1<<63 - 1
)

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
		ns, ms, err := tx.ownersStale(q.Owners, tb, rb)
		if err != nil {
			return err
		}
		for i, o := range q.Owners {
			out.ByOwner[o] = ns[i]
			out.Total += ns[i]
			if ms[i] {
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
		ns, _, err := tx.ownersStale(owners, tb, rb)
		if err != nil {
			return err
		}
		for i, o := range owners {
			n := ns[i]
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
