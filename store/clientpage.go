package store

import (
	"context"
	"encoding/binary"
	"sort"
	"time"

	"accountbot/crm"
)

// nameVal is the name index's value: the client's owner, so that a page
// of a list in name order finds each client's owner index entry (which
// holds what a list line shows) without reading the client.
func nameVal(c *crm.Client) []byte { return u64(c.OwnerID) }

// nameOwner reads a name index value; ok is false for an entry that
// predates the value (nil), whose client must then be read.
func nameOwner(v []byte) (uint64, bool) {
	if len(v) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(v), true
}

// briefByName returns the brief of the client of a name index entry and
// its owner, from the owner index (or the record, for entries written
// before the index held values); visible, when not nil, picks the owners
// whose clients are wanted: nil is returned for the others.
func (tx *Tx) briefByName(id uint64, item Item, visible map[uint64]bool) (*crm.Client, ownerEntry, error) {
	var owner uint64
	known := false
	if err := item.Value(func(v []byte) error {
		owner, known = nameOwner(v)
		return nil
	}); err != nil {
		return nil, ownerEntry{}, err
	}
	if !known {
		c, err := tx.client(id)
		if err != nil {
			return nil, ownerEntry{}, err
		}
		owner = c.OwnerID
	}
	if visible != nil && !visible[owner] {
		return nil, ownerEntry{}, nil
	}
	oi, err := tx.item(ownerKey(owner, id))
	if err != nil {
		return nil, ownerEntry{}, err
	}
	var e ownerEntry
	if err := oi.Value(func(v []byte) error { e = decodeOwnerVal(id, owner, v); return nil }); err != nil {
		return nil, e, err
	}
	if e.brief != nil {
		return e.brief, e, nil
	}
	c, err := tx.client(id)
	return c, e, err
}

// briefOf keeps the fields of a brief.
func briefOf(c *crm.Client) *crm.Client {
	return &crm.Client{ID: c.ID, OwnerID: c.OwnerID, Name: c.Name, City: c.City, Status: c.Status}
}

// pageEntry is a client of a page with its folded name.
type pageEntry struct {
	norm string
	c    *crm.Client
}

func sortPage(es []pageEntry) {
	sort.Slice(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if a.norm != b.norm {
			return a.norm < b.norm
		}
		if a.c.OwnerID != b.c.OwnerID {
			return a.c.OwnerID < b.c.OwnerID
		}
		return a.c.ID < b.c.ID
	})
}

// pageAheadOwners bounds the owners whose first names a page reads with
// its counters (a manager, a team), before it knows it merges them.
const pageAheadOwners = 32

// ClientPage returns one page of the clients of q.Owners in list order
// (folded name, owner, id) and how many they are in all. The total comes
// from the maintained per-owner counts. When the owners hold a large
// enough part of all clients for the page (a head, a team), the page is
// read by walking the name index in order, which holds each client's
// owner, looking up the owner index entry (which holds what a list line
// shows) of the clients shown: about (Offset+Limit)·all/Total entries.
// For a few owners (a team, a manager), the first Offset+Limit entries of
// each owner's name index are merged (ownernames.go): what they cost is
// the owners times the page. Otherwise their owner index entries are read
// and sorted: what they cost is the owners' own clients.
func (s *Store) ClientPage(ctx context.Context, q crm.ClientPageQuery) (crm.ClientPage, error) {
	var out crm.ClientPage
	if err := s.ensureCounts(ctx); err != nil {
		return out, err
	}
	byOwners := !q.Stale && len(q.Owners) > 0
	if byOwners {
		var err error
		if byOwners, err = s.indexReady(ctx, s.ensureOwnerNames, ownerNamesMarker, ownerNamesVersion); err != nil {
			return out, err
		}
	}
	counted := q.Stale
	if counted {
		var err error
		if counted, err = s.indexReady(ctx, s.ensureStale, staleMarker, staleVersion); err != nil {
			return out, err
		}
	}
	visible := make(map[uint64]bool, len(q.Owners))
	for _, o := range q.Owners {
		visible[o] = true
	}
	var maintain []uint64
	err := s.view(ctx, func(tx *Tx) error {
		out, maintain = crm.ClientPage{}, nil
		counters := [][]byte{clientTotalKey}
		for o := range visible {
			counters = append(counters, ownerCountKey(o))
		}
		if byOwners && len(visible) <= pageAheadOwners {
			// A few owners' page is most likely merged from their name
			// indexes (below): their first names, with the briefs,
			// come in the counters' round trip.
			ahead := make([][]byte, 0, len(visible))
			for o := range visible {
				ahead = append(ahead, key("con/", o))
			}
			tx.readFirst(counters, ahead, q.Offset+q.Limit+1)
		} else {
			tx.prefetch(counters)
		}
		every, err := tx.counter(clientTotalKey)
		if err != nil {
			return err
		}
		all := int(every)
		for o := range visible {
			n, err := tx.counter(ownerCountKey(o))
			if err != nil {
				return err
			}
			out.Total += int(n)
		}
		if q.Stale && (out.Total <= staleScanMax || !counted) {
			return tx.stalePage(q, &out)
		}
		if q.Stale {
			var err error
			maintain, err = tx.stalePageCounted(q, visible, all, &out)
			return err
		}
		var es []pageEntry
		// Choose by data size: the walk reads about n·all/Total entries
		// (cheap: a key and an owner each), the merge n keys of each
		// owner's name index (and a seek per owner), the sort decodes,
		// folds and sorts all Total briefs (several times dearer each).
		n := q.Offset + q.Limit
		walked := false
		merge := len(q.Owners) * (n + ownerSeek)
		// The merge's cost is known, the walk's an estimate that holds
		// when names are spread evenly (a team's names may all sort
		// late), and a merged entry is a key alone: the merge is taken
		// up to several times the walk's estimate.
		if byOwners && out.Total > 0 && merge*out.Total <= 8*n*all && merge <= 6*out.Total {
			owners := make([]uint64, 0, len(visible))
			for o := range visible {
				owners = append(owners, o)
			}
			if es, err = tx.pageByOwners(owners, n); err != nil {
				return err
			}
			walked = true
		}
		if !walked && out.Total > 0 && n*all <= 6*out.Total*out.Total {
			// The estimate holds when names are spread evenly; a walk
			// that reads far more than it (the owners' names all sort
			// late) gives up for the sort.
			var err error
			if es, walked, err = tx.pageByName(visible, n, 4*n*all/out.Total+walkSlack); err != nil {
				return err
			}
		}
		if !walked {
			es = es[:0]
			for _, o := range q.Owners {
				if err := tx.eachOwnerEntry(o, func(id uint64, e ownerEntry) (bool, error) {
					c := e.brief
					if c == nil {
						var err error
						if c, err = tx.client(id); err != nil {
							return false, err
						}
					}
					es = append(es, pageEntry{crm.NormalizeName(c.Name), briefOf(c)})
					return true, nil
				}); err != nil {
					return err
				}
			}
		}
		sortPage(es)
		for i := q.Offset; i < len(es) && i < q.Offset+q.Limit; i++ {
			out.Clients = append(out.Clients, es[i].c)
		}
		return nil
	})
	if err == nil {
		s.maintainStale(ctx, maintain, q.TouchBefore.Unix(), q.ReviewBefore.Unix())
	}
	return out, err
}

// pageByName walks the name index in order and returns the first n
// clients of the visible owners, and the rest of the clients with the last
// one's folded name (so that ties are complete for sorting by owner). It
// gives up (ok false) after budget entries.
func (tx *Tx) pageByName(visible map[uint64]bool, n, budget int) (es []pageEntry, ok bool, err error) {
	ok = true
	err = tx.scan([]byte("cn/"), false, true, func(k []byte, item Item) (bool, error) {
		if budget--; budget < 0 {
			ok = false
			return false, nil
		}
		sep := len(k) - 9
		if sep < 3 || k[sep] != nameSep {
			return true, nil
		}
		norm := string(k[3:sep])
		if len(es) >= n && norm != es[len(es)-1].norm {
			return false, nil
		}
		c, _, err := tx.briefByName(tailID(k), item, visible)
		if err != nil {
			return false, err
		}
		if c != nil {
			es = append(es, pageEntry{norm, briefOf(c)})
		}
		return true, nil
	})
	return es, ok, err
}

// ownerSeek is what a page merged from the owners' name indexes pays for
// each owner beyond its entries, in entries.
var ownerSeek = 4

// walkSlack is how many entries a walk of the name index may read beyond
// four times its estimate.
var walkSlack = 1000

// fewStale is how many stale clients a list sorts by name; more are
// listed by a walk of the name index.
var fewStale = 1000

// stalePage fills out with a page of the stale clients of the visible
// owners and their number. One pass over the owners' index entries counts
// them from the entries' times alone (16 bytes each), noting the stale
// ones. When they are few, their briefs are sorted; when they are many,
// the name index is walked in order until the page is full, which, as
// they are many, takes few steps more than the page.
func (tx *Tx) stalePage(q crm.ClientPageQuery, out *crm.ClientPage) error {
	tb, rb := q.TouchBefore.Unix(), q.ReviewBefore.Unix()
	out.Total = 0
	type times struct{ touch, review int64 }
	stale := map[uint64]times{}
	var es []pageEntry
	for _, o := range q.Owners {
		if err := tx.scan(key("co/", o), false, true, func(k []byte, item Item) (bool, error) {
			return true, item.Value(func(v []byte) error {
				var e ownerEntry // an entry without times counts as never touched
				if len(v) >= 16 {
					e = ownerEntry{touch: int64(binary.BigEndian.Uint64(v[:8])), review: int64(binary.BigEndian.Uint64(v[8:16]))}
				}
				if !e.stale(tb, rb) {
					return nil
				}
				id := tailID(k)
				out.Total++
				stale[id] = times{e.touch, e.review}
				if out.Total <= fewStale {
					c := decodeOwnerVal(id, o, v).brief
					if c == nil {
						full, err := tx.client(id)
						if err != nil {
							return err
						}
						c = full
					}
					es = append(es, pageEntry{crm.NormalizeName(c.Name), staleBrief(c)})
				}
				return nil
			})
		}); err != nil {
			return err
		}
	}
	if out.Total > fewStale {
		es = es[:0]
		n := q.Offset + q.Limit
		err := tx.scan([]byte("cn/"), false, true, func(k []byte, item Item) (bool, error) {
			sep := len(k) - 9
			if sep < 3 || k[sep] != nameSep {
				return true, nil
			}
			id := tailID(k)
			t, ok := stale[id]
			if !ok {
				return true, nil
			}
			norm := string(k[3:sep])
			if len(es) >= n && norm != es[len(es)-1].norm {
				return false, nil
			}
			c, _, err := tx.briefByName(id, item, nil)
			if err != nil {
				return false, err
			}
			c = briefOf(c)
			if t.touch != 0 {
				c.LastTouch = time.Unix(t.touch, 0)
			}
			if t.review != 0 {
				c.ReviewedAt = time.Unix(t.review, 0)
			}
			es = append(es, pageEntry{norm, c})
			return true, nil
		})
		if err != nil {
			return err
		}
	}
	sortPage(es)
	for i := q.Offset; i < len(es) && i < q.Offset+q.Limit; i++ {
		out.Clients = append(out.Clients, es[i].c)
	}
	return nil
}

// staleBrief keeps the fields of a brief in a list of stale clients.
func staleBrief(c *crm.Client) *crm.Client {
	b := briefOf(c)
	b.LastTouch, b.ReviewedAt = c.LastTouch, c.ReviewedAt
	return b
}

// staleScanMax is how many clients a list of stale ones reads through the
// owners' index entries (what they cost is the owners' own clients); a
// list over more, a head's, is counted from the maintained stale counts
// (stale.go) instead.
var staleScanMax = 2000

// stalePageCounted fills out with a page of the stale clients of the
// visible owners and their number, from the maintained stale counts
// (all is how many clients the store holds), and returns the owners whose
// counts should be made or moved. When the stale clients are many, the
// name index is walked in order until the page is full, testing each
// visible client's owner index entry, which takes about the page times
// all/stale steps; when they are few (or the walk gives up), they are
// read from the staleness indexes and sorted.
func (tx *Tx) stalePageCounted(q crm.ClientPageQuery, visible map[uint64]bool, all int, out *crm.ClientPage) ([]uint64, error) {
	tb, rb := q.TouchBefore.Unix(), q.ReviewBefore.Unix()
	out.Total = 0
	var maintain []uint64
	ns, ms, err := tx.ownersStale(q.Owners, tb, rb)
	if err != nil {
		return nil, err
	}
	for i, o := range q.Owners {
		out.Total += ns[i]
		if ms[i] {
			maintain = append(maintain, o)
		}
	}
	if out.Total == 0 {
		return maintain, nil
	}
	n := q.Offset + q.Limit
	var es []pageEntry
	walked := false
	if out.Total > fewStale {
		var err error
		if es, walked, err = tx.stalePageByName(visible, tb, rb, n, 4*n*all/out.Total+walkSlack); err != nil {
			return nil, err
		}
	}
	if !walked {
		var err error
		if es, err = tx.staleCollect(q.Owners, tb, rb); err != nil {
			return nil, err
		}
	}
	sortPage(es)
	for i := q.Offset; i < len(es) && i < q.Offset+q.Limit; i++ {
		out.Clients = append(out.Clients, es[i].c)
	}
	return maintain, nil
}

// stalePageByName walks the name index in order and returns the first n
// stale clients of the visible owners, and the rest of the clients with
// the last one's folded name. It gives up (ok false) after budget entries.
func (tx *Tx) stalePageByName(visible map[uint64]bool, tb, rb int64, n, budget int) (es []pageEntry, ok bool, err error) {
	ok = true
	err = tx.scan([]byte("cn/"), false, true, func(k []byte, item Item) (bool, error) {
		if budget--; budget < 0 {
			ok = false
			return false, nil
		}
		sep := len(k) - 9
		if sep < 3 || k[sep] != nameSep {
			return true, nil
		}
		norm := string(k[3:sep])
		if len(es) >= n && norm != es[len(es)-1].norm {
			return false, nil
		}
		c, e, err := tx.briefByName(tailID(k), item, visible)
		if err != nil || c == nil || !e.stale(tb, rb) {
			return err == nil, err
		}
		es = append(es, pageEntry{norm, staleBriefOf(c, e)})
		return true, nil
	})
	return es, ok, err
}

// staleCollect returns every stale client of the owners, from the
// staleness indexes: those last touched before tb, and those reviewed
// before rb.
func (tx *Tx) staleCollect(owners []uint64, tb, rb int64) ([]pageEntry, error) {
	var es []pageEntry
	for _, o := range owners {
		seen := map[uint64]bool{}
		add := func(id uint64) error {
			if seen[id] {
				return nil
			}
			seen[id] = true
			oi, err := tx.item(ownerKey(o, id))
			if err != nil {
				return err
			}
			var e ownerEntry
			if err := oi.Value(func(v []byte) error { e = decodeOwnerVal(id, o, v); return nil }); err != nil {
				return err
			}
			c := e.brief
			if c == nil {
				if c, err = tx.client(id); err != nil {
					return err
				}
			}
			es = append(es, pageEntry{crm.NormalizeName(c.Name), staleBriefOf(c, e)})
			return nil
		}
		if err := tx.eachStaleLast(o, minTime, tb, func(e staleEntry) error { return add(e.id) }); err != nil {
			return nil, err
		}
		if err := tx.eachStaleReview(o, minTime, rb, func(id uint64, _, _ int64) error { return add(id) }); err != nil {
			return nil, err
		}
	}
	return es, nil
}

// staleBriefOf is the brief of c in a list of stale clients, with the
// times of its owner index entry.
func staleBriefOf(c *crm.Client, e ownerEntry) *crm.Client {
	b := briefOf(c)
	if e.touch != 0 {
		b.LastTouch = time.Unix(e.touch, 0)
	}
	if e.review != 0 {
		b.ReviewedAt = time.Unix(e.review, 0)
	}
	return b
}
