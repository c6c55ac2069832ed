package store

import (
	"context"
	"sort"

	"accountbot/crm"
)

// Keys of the per-owner name index, which a page of a few owners' list
// (a supervisor's team, a manager's book) reads instead of walking every
// client's name or sorting the owners' whole books:
//
//	con/<owner><normalised name>\x00<id>   (empty)
//	meta/clients/ownernames                the index is complete (version)
//
// Kept in the client's transaction (putClient) and erased with the
// client; a store written before it existed (or loaded by the Seeder) is
// indexed once, on first use, from every client.

var ownerNamesMarker = []byte("meta/clients/ownernames")

const ownerNamesVersion = 1

func ownerNameKey(owner uint64, c *crm.Client) []byte {
	return key("con/", owner, crm.NormalizeName(c.Name), byte(nameSep), c.ID)
}

// ownerNamesFollowClient moves the client's per-owner name entry from old
// (nil for a new client) to c, in the client's transaction.
func (tx *Tx) ownerNamesFollowClient(old, c *crm.Client) error {
	if old != nil {
		if old.OwnerID == c.OwnerID && crm.NormalizeName(old.Name) == crm.NormalizeName(c.Name) {
			return nil
		}
		if err := tx.del(ownerNameKey(old.OwnerID, old)); err != nil {
			return err
		}
	}
	return tx.set(ownerNameKey(c.OwnerID, c), nil)
}

// ensureOwnerNames indexes every client once, a thousand per transaction
// (each batch reads the clients it indexes, so a concurrent change is
// never overwritten), when the index is not known to be complete.
func (s *Store) ensureOwnerNames(ctx context.Context) error {
	return s.backfillClients(ctx, ownerNamesMarker, ownerNamesVersion, 1000, func(tx *Tx, c *crm.Client) error {
		return tx.set(ownerNameKey(c.OwnerID, c), nil)
	})
}

// backfillClients calls index for every client, batch clients per
// transaction, and then stores marker at version, unless it is already
// there. index must be idempotent: a client changed meanwhile was indexed
// by its own transaction too.
func (s *Store) backfillClients(ctx context.Context, marker []byte, version byte, batch int, index func(tx *Tx, c *crm.Client) error) error {
	return s.backfill(ctx, marker, version, []byte("c/"), batch, nil, func(tx *Tx) func([]byte, Item) error {
		return func(_ []byte, item Item) error {
			c, err := decode[crm.Client](item)
			if err != nil {
				return err
			}
			return index(tx, c)
		}
	})
}

// backfill calls the index that begin gives each transaction for every
// record under prefix, in key order, batch records per transaction
// (each its own, so that a batch reads what it indexes and a concurrent
// change is never overwritten), and then stores marker at version,
// unless it is already there; first, when set, runs before the first
// batch (an index this one reads). index must be idempotent: a record
// changed meanwhile was indexed by its own transaction too.
func (s *Store) backfill(ctx context.Context, marker []byte, version byte, prefix []byte, batch int, first func(context.Context) error, begin func(tx *Tx) func(k []byte, item Item) error) error {
	if done, err := s.marked(ctx, marker, version); err != nil || done {
		return err
	}
	if first != nil {
		if err := first(ctx); err != nil {
			return err
		}
	}
	ctx = crm.WithoutDeliveryKey(ctx)
	start := prefix
	for {
		if err := ctx.Err(); err != nil {
			return err // the store closes: the next call goes on from the start
		}
		n := 0
		var last []byte
		err := s.update(ctx, func(tx *Tx) error {
			n, last = 0, nil
			index := begin(tx)
			return tx.scanFromKey(prefix, start, func(k []byte, item Item) (bool, error) {
				if err := index(k, item); err != nil {
					return false, err
				}
				n++
				last = append(last[:0], k...)
				return n < batch, nil
			})
		})
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
		start = append(last, 0)
	}
	return s.update(ctx, func(tx *Tx) error { return tx.set(marker, []byte{version}) })
}

// pageByOwners returns the first n clients of the owners in list order
// (and the rest of those with the last one's folded name, for ties), from
// the first n entries of each owner's name index, merged: what it costs is
// the owners times the page, not the store.
func (tx *Tx) pageByOwners(owners []uint64, n int) ([]pageEntry, error) {
	type ref struct {
		norm  string
		owner uint64
		id    uint64
	}
	var refs []ref
	// The first names of every owner at once (one more than the page, to
	// see where the page's last name ends), and later the page's briefs
	// by key: a page of twenty reads about twenty names an owner and
	// twenty briefs, not the owners' whole books.
	ahead := make([][]byte, 0, len(owners))
	for _, o := range owners {
		ahead = append(ahead, key("con/", o))
	}
	tx.readFirst(nil, ahead, n+1)
	paged := false
	if fp, ok := tx.kv.(pageFirster); ok && len(owners) > 1 {
		// PostgreSQL read the page itself: its entries, not the first
		// n of every owner.
		var es []kvEntry
		if es, paged = fp.firstsPage(ahead, n); paged {
			base := len(key("con/", uint64(0)))
			for _, e := range es {
				sep := len(e.k) - 9
				if sep < base || e.k[sep] != nameSep {
					continue
				}
				refs = append(refs, ref{string(e.k[base:sep]), tailUint(e.k[base-8 : base]), tailID(e.k)})
			}
		}
	}
	for _, o := range owners {
		if paged {
			break
		}
		prefix := key("con/", o)
		got := 0
		var lastNorm string
		if err := tx.scan(prefix, false, false, func(k []byte, _ Item) (bool, error) {
			sep := len(k) - 9
			if sep < len(prefix) || k[sep] != nameSep {
				return true, nil
			}
			norm := string(k[len(prefix):sep])
			if got >= n && norm != lastNorm {
				return false, nil
			}
			refs = append(refs, ref{norm, o, tailID(k)})
			got++
			lastNorm = norm
			return true, nil
		}); err != nil {
			return nil, err
		}
	}
	sort.Slice(refs, func(i, j int) bool {
		a, b := refs[i], refs[j]
		if a.norm != b.norm {
			return a.norm < b.norm
		}
		if a.owner != b.owner {
			return a.owner < b.owner
		}
		return a.id < b.id
	})
	// Past the n-th, only its ties.
	end := len(refs)
	if n > 0 && n < end {
		end = n
		for end < len(refs) && refs[end].norm == refs[n-1].norm {
			end++
		}
	}
	briefs := make([][]byte, 0, end)
	for _, r := range refs[:end] {
		briefs = append(briefs, ownerKey(r.owner, r.id))
	}
	tx.readAhead(briefs, nil)
	es := make([]pageEntry, 0, end)
	for _, r := range refs[:end] {
		oi, err := tx.item(ownerKey(r.owner, r.id))
		if err != nil {
			return nil, err
		}
		var e ownerEntry
		if err := oi.Value(func(v []byte) error { e = decodeOwnerVal(r.id, r.owner, v); return nil }); err != nil {
			return nil, err
		}
		c := e.brief
		if c == nil {
			if c, err = tx.client(r.id); err != nil {
				return nil, err
			}
		}
		es = append(es, pageEntry{r.norm, briefOf(c)})
	}
	return es, nil
}

// eraseOwnerNames lists the client's per-owner name entries under every
// name it had and every person who could have owned it: a deleted entry
// (a former name, a former owner) stays in the files as a tombstone that
// DropPrefix passes by, so each is written again here, to be dropped with
// the rest.
func eraseOwnerNames(tx *Tx, id uint64) ([][]byte, int, error) {
	c, err := tx.client(id)
	if err != nil {
		return nil, 0, err
	}
	names := map[string]bool{crm.NormalizeName(c.Name): true}
	if err := tx.scan(key("h/client/", id), false, true, func(_ []byte, item Item) (bool, error) {
		ch, err := decode[crm.Change](item)
		if err != nil {
			return false, err
		}
		if ch.Field == "name" || ch.Field == "created" {
			for _, n := range []string{ch.Old, ch.New} {
				if norm := crm.NormalizeName(n); norm != "" {
					names[norm] = true
				}
			}
		}
		return true, nil
	}); err != nil {
		return nil, 0, err
	}
	owners := map[uint64]bool{0: true, c.OwnerID: true}
	if err := tx.scan([]byte("p/"), false, false, func(k []byte, _ Item) (bool, error) {
		if len(k) == 2+8 {
			owners[tailID(k)] = true
		}
		return true, nil
	}); err != nil {
		return nil, 0, err
	}
	var keys [][]byte
	for o := range owners {
		for norm := range names {
			k := key("con/", o, norm, byte(nameSep), id)
			if err := tx.set(k, nil); err != nil {
				return nil, 0, err
			}
			keys = append(keys, k)
		}
	}
	return keys, 0, nil
}

// indexReady completes an index with ensure and reports true, or, in a
// read-only request (which may not write), reports whether the index's
// marker says it is complete: a read that finds it incomplete takes the
// way that needs no index.
func (s *Store) indexReady(ctx context.Context, ensure func(context.Context) error, marker []byte, version byte) (bool, error) {
	if !crm.ReadOnly(ctx) {
		return true, ensure(ctx)
	}
	return s.marked(ctx, marker, version)
}
